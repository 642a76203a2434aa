"""The evidence vault: files encrypted at rest with AES-256-GCM, each sealed under a named key.

Why per-file key ids: keys must be able to rotate without re-encrypting everything at once. New files use
the current key; older files keep naming the key that sealed them until :meth:`Vault.reseal` moves them.

File layout (``<root>/objects/ab/<uid>.flv``)::

    b"FLV1" | len(key_id):1 byte | key_id (ascii) | nonce:12 bytes | ciphertext+tag

The associated data binds the ciphertext to the evidence item's uid, so a file copied over another
item's file fails to decrypt instead of silently serving the wrong evidence.

Keys come from ``Settings.vault_keys`` (``{"key_id": "<base64 32 bytes>"}``) with ``vault_current_key``;
when none are configured (the embedded default) a key ring is created at ``<root>/keys.json`` with mode
0600. In production, supply the keys from a secret store and keep them off the vault's disk.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from firstlight.errors import FirstlightError, Invalid

__all__ = ["MAGIC", "Vault", "VaultError"]

MAGIC = b"FLV1"
_NONCE = 12
_lock = threading.Lock()


class VaultError(FirstlightError):
    """The vault cannot read or write a file (missing key, tampered or missing object)."""

    default_code = "vault_error"


def _aad(uid: str) -> bytes:
    return b"firstlight-evidence:" + uid.encode("ascii")


@dataclass
class Vault:
    root: Path
    keys: dict[str, bytes]
    current_key_id: str

    @classmethod
    def open(cls, settings: object) -> Vault:
        """The vault configured by ``settings`` (``vault_dir`` or ``data_dir/vault``)."""
        root = Path(getattr(settings, "vault_dir", None) or Path(settings.data_dir) / "vault")
        configured = getattr(settings, "vault_keys", None) or {}
        if configured:
            keys = {kid: _decode_key(kid, b64) for kid, b64 in configured.items()}
            current = getattr(settings, "vault_current_key", None) or sorted(keys)[-1]
            if current not in keys:
                raise Invalid(f"vault_current_key {current!r} is not among vault_keys")
            return cls(root=root, keys=keys, current_key_id=current)
        return cls.local(root)

    @classmethod
    def local(cls, root: Path) -> Vault:
        """A vault whose key ring lives in ``root/keys.json`` (created on first use)."""
        root.mkdir(parents=True, exist_ok=True)
        ring = root / "keys.json"
        with _lock:
            if not ring.exists():
                kid = "k1"
                _write_ring(ring, {"current": kid, "keys": {kid: _new_key_b64()}})
            data = json.loads(ring.read_text())
        keys = {kid: _decode_key(kid, b64) for kid, b64 in data["keys"].items()}
        return cls(root=root, keys=keys, current_key_id=data["current"])

    def rotate(self) -> str:
        """Add a fresh key and make it current (local key ring only). Returns the new key id."""
        ring = self.root / "keys.json"
        if not ring.exists():
            raise Invalid("keys are configured in settings: rotate them there (vault_keys)")
        with _lock:
            data = json.loads(ring.read_text())
            kid = f"k{len(data['keys']) + 1}"
            while kid in data["keys"]:
                kid += "x"
            data["keys"][kid] = _new_key_b64()
            data["current"] = kid
            _write_ring(ring, data)
        self.keys[kid] = base64.b64decode(data["keys"][kid])
        self.current_key_id = kid
        return kid

    # --- objects --------------------------------------------------------------------------------------
    def seal(self, uid: str, plaintext: bytes) -> tuple[str, str]:
        """Encrypt and store ``plaintext`` for item ``uid``; returns (relative path, key id). Durable on
        return (written to a temporary file, fsynced, renamed)."""
        kid = self.current_key_id
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self.keys[kid]).encrypt(nonce, plaintext, _aad(uid))
        blob = MAGIC + bytes([len(kid)]) + kid.encode("ascii") + nonce + sealed
        rel = f"objects/{uid[:2]}/{uid}.flv"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        return rel, kid

    def unseal(self, uid: str, rel_path: str) -> bytes:
        """Decrypt item ``uid``'s file; raises :class:`VaultError` when missing, tampered or keyless."""
        path = self._resolve(rel_path)
        try:
            blob = path.read_bytes()
        except FileNotFoundError as exc:
            raise VaultError(f"evidence file {rel_path} is missing", code="vault_missing") from exc
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1 + _NONCE + 16:
            raise VaultError(f"evidence file {rel_path} is not a vault file", code="vault_corrupt")
        klen = blob[len(MAGIC)]
        start = len(MAGIC) + 1
        kid = blob[start : start + klen].decode("ascii", errors="replace")
        nonce = blob[start + klen : start + klen + _NONCE]
        if kid not in self.keys:
            raise VaultError(f"vault key {kid!r} is not available", code="vault_key_missing")
        try:
            return AESGCM(self.keys[kid]).decrypt(nonce, blob[start + klen + _NONCE :], _aad(uid))
        except InvalidTag as exc:
            raise VaultError(f"evidence file {rel_path} failed authentication",
                             code="vault_corrupt") from exc

    def reseal(self, uid: str, rel_path: str) -> str:
        """Re-encrypt one file under the current key (after :meth:`rotate`); returns the key id."""
        plaintext = self.unseal(uid, rel_path)
        _, kid = self.seal(uid, plaintext)
        return kid

    def delete(self, rel_path: str) -> bool:
        """Remove a file; True when it existed."""
        path = self._resolve(rel_path)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def path_of(self, rel_path: str) -> Path:
        return self._resolve(rel_path)

    def _resolve(self, rel_path: str) -> Path:
        path = (self.root / rel_path).resolve()
        if self.root.resolve() not in path.parents:
            raise VaultError("evidence path escapes the vault", code="vault_corrupt")
        return path


def new_uid() -> str:
    return secrets.token_hex(16)


def _new_key_b64() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _decode_key(kid: str, b64: str) -> bytes:
    try:
        key = base64.b64decode(b64, validate=True)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"vault key {kid!r} is not base64") from exc
    if len(key) != 32:
        raise Invalid(f"vault key {kid!r} must be 32 bytes (AES-256)")
    if len(kid.encode("ascii", errors="replace")) > 60:
        raise Invalid(f"vault key id {kid!r} is too long")
    return key


def _write_ring(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
