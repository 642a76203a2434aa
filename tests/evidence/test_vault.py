import base64
import os

import pytest

from firstlight.config import Settings
from firstlight.errors import Invalid
from firstlight.evidence import Vault, VaultError


def test_sealed_file_is_not_the_plaintext_and_round_trips(tmp_path):
    vault = Vault.local(tmp_path / "vault")
    secret = b"benign stand-in bytes " * 100
    rel, kid = vault.seal("a" * 32, secret)
    on_disk = vault.path_of(rel).read_bytes()
    assert secret not in on_disk and on_disk.startswith(b"FLV1")
    assert vault.unseal("a" * 32, rel) == secret
    assert kid == "k1"
    assert oct((tmp_path / "vault" / "keys.json").stat().st_mode & 0o777) == "0o600"


def test_tampered_or_swapped_file_fails_authentication(tmp_path):
    vault = Vault.local(tmp_path / "vault")
    rel, _ = vault.seal("b" * 32, b"x" * 64)
    path = vault.path_of(rel)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(VaultError, match="authentication"):
        vault.unseal("b" * 32, rel)
    rel2, _ = vault.seal("c" * 32, b"y" * 64)
    with pytest.raises(VaultError):  # bound to its own uid
        vault.unseal("d" * 32, rel2)


def test_rotation_keeps_old_files_readable_and_reseal_moves_them(tmp_path):
    vault = Vault.local(tmp_path / "vault")
    rel, kid = vault.seal("e" * 32, b"old")
    new_kid = vault.rotate()
    assert new_kid != kid and vault.current_key_id == new_kid
    reopened = Vault.local(tmp_path / "vault")
    assert reopened.unseal("e" * 32, rel) == b"old"
    assert reopened.reseal("e" * 32, rel) == new_kid
    assert reopened.unseal("e" * 32, rel) == b"old"


def test_configured_keys_are_used_and_validated(tmp_path):
    key = base64.b64encode(os.urandom(32)).decode()
    settings = Settings(data_dir=tmp_path, vault_keys={"2026-a": key}, vault_current_key="2026-a")
    vault = Vault.open(settings)
    _, kid = vault.seal("f" * 32, b"z")
    assert kid == "2026-a" and not (tmp_path / "vault" / "keys.json").exists()
    with pytest.raises(Invalid, match="32 bytes"):
        Vault.open(Settings(data_dir=tmp_path, vault_keys={"k": base64.b64encode(b"short").decode()}))


def test_missing_key_and_path_escape_are_clear_errors(tmp_path):
    vault = Vault.local(tmp_path / "vault")
    rel, _ = vault.seal("g" * 32, b"q")
    other = Vault.local(tmp_path / "other")
    other.keys.pop("k1")
    other.keys["k9"] = os.urandom(32)
    (tmp_path / "other" / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "other" / rel).write_bytes(vault.path_of(rel).read_bytes())
    with pytest.raises(VaultError, match="not available"):
        other.unseal("g" * 32, rel)
    with pytest.raises(VaultError, match="escapes"):
        vault.unseal("g" * 32, "../../etc/passwd")
