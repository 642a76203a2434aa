"""API keys are stored hashed, carry scopes, and can be revoked."""

import pytest

from firstlight.auth import ApiKey, authenticate, create_key, revoke_key
from firstlight.errors import Invalid, Unauthorized
from firstlight.store import Database


def test_key_secret_is_not_stored(db: Database) -> None:
    with db.begin() as session:
        created = create_key(session, name="platform", scopes=["events:write"])
    secret = created.token.split("_", 2)[2]
    with db.session() as session:
        stored = session.get(ApiKey, created.key_id)
        assert secret not in (stored.secret_sha256, stored.name)
        principal = authenticate(session, created.token)
    assert principal.scopes == {"events:write"}
    assert principal.has("events:write") and not principal.has("admin")


def test_admin_implies_every_scope(db: Database) -> None:
    with db.begin() as session:
        created = create_key(session, name="ops", scopes=["admin"])
    with db.session() as session:
        assert authenticate(session, created.token).has("reports:submit")


def test_unknown_scope_is_refused(db: Database) -> None:
    with db.begin() as session, pytest.raises(Invalid, match="unknown scope"):
        create_key(session, name="x", scopes=["events:delete"])


def test_wrong_secret_and_revoked_key_are_refused(db: Database) -> None:
    with db.begin() as session:
        created = create_key(session, name="platform", scopes=["events:write"])
    forged = created.token[:-4] + "AAAA"
    with db.session() as session, pytest.raises(Unauthorized, match="unknown"):
        authenticate(session, forged)
    with db.begin() as session:
        revoke_key(session, created.key_id)
    with db.session() as session, pytest.raises(Unauthorized, match="revoked"):
        authenticate(session, created.token)
