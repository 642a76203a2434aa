"""Settings of the banks room that are not in ``firstlight.config.Settings``: exchange credentials.

Credentials are secrets, so they live in the environment or the operator's ``firstlight.toml``, never in
the database or an API response. Resolution order for an exchange named ``NAME`` using API ``API``:

1. env ``FIRSTLIGHT_EXCHANGE_<NAME>_CREDENTIALS`` (name upper-cased, other characters as ``_``);
2. env ``FIRSTLIGHT_EXCHANGE_<API>_CREDENTIALS`` (e.g. ``FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS``);
3. ``[banks.credentials]`` in ``firstlight.toml`` (``FIRSTLIGHT_CONFIG``): the key ``NAME`` then ``API``,
   whose value is a string in pytx's format or a table of the credential fields.

The string formats are pytx's: ``user:password`` for NCMEC, ``fetch_key,subscription_key[,base_url]`` for
StopNCII, an app token for ThreatExchange.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["credential_source", "hma_open_access", "toml_section"]


def _toml() -> dict[str, Any]:
    path = Path(os.environ.get("FIRSTLIGHT_CONFIG", "firstlight.toml"))
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def toml_section(*keys: str) -> dict[str, Any]:
    """A nested table of ``firstlight.toml`` (``{}`` when absent)."""
    node: Any = _toml()
    for key in keys:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _env_key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def credential_source(exchange_name: str, api_name: str) -> tuple[str | dict[str, Any], str] | None:
    """The raw credentials for an exchange and where they came from, or None if none are configured."""
    for key in (exchange_name, api_name):
        var = f"FIRSTLIGHT_EXCHANGE_{_env_key(key)}_CREDENTIALS"
        value = os.environ.get(var)
        if value:
            return value, f"environment variable {var}"
    table = toml_section("banks", "credentials")
    for key in (exchange_name, api_name):
        value = table.get(key)
        if value:
            return value, f"[banks.credentials] {key} in firstlight.toml"
    return None


def hma_open_access() -> bool:
    """True when the HMA-compatible routes may be called without an API key (trusted networks only).

    Off by default: an open lookup endpoint tells anyone whether their material is in a bank.
    ``FIRSTLIGHT_HMA_OPEN_ACCESS=1`` or ``[banks] hma_open_access = true`` turns it on.
    """
    env = os.environ.get("FIRSTLIGHT_HMA_OPEN_ACCESS")
    if env is not None:
        return env.strip().lower() in ("1", "true", "yes", "on")
    return bool(toml_section("banks").get("hma_open_access", False))
