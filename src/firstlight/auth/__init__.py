"""API keys with scopes: who may call Firstlight and what they may do."""

from firstlight.auth.keys import (
    SCOPES,
    CreatedKey,
    Principal,
    authenticate,
    create_key,
    list_keys,
    require,
    revoke_key,
)
from firstlight.auth.models import ApiKey

__all__ = [
    "SCOPES",
    "ApiKey",
    "CreatedKey",
    "Principal",
    "authenticate",
    "create_key",
    "list_keys",
    "require",
    "revoke_key",
]
