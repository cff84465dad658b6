"""Field encryption (Fernet, newest key first) and keyed blind indexes for case data."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class CryptoError(RuntimeError):
    """Raised when case data cannot be encrypted or decrypted."""


_state: dict[str, object] = {}


def configure(field_keys: list[str], blind_index_key: str) -> None:
    """Install the keys the column types use (called by create_app and the CLI)."""
    if not field_keys:
        raise CryptoError("at least one field encryption key is required")
    try:
        fernets = [Fernet(key.encode()) for key in field_keys]
    except (ValueError, TypeError) as exc:
        raise CryptoError("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc
    _state["fernet"] = MultiFernet(fernets)
    _state["blind_key"] = blind_index_key.encode()
    _state["purpose_keys"] = {}


def _fernet() -> MultiFernet:
    fernet = _state.get("fernet")
    if fernet is None:
        raise CryptoError("field encryption is not configured")
    return fernet  # type: ignore[return-value]


def encrypt(value: str) -> str:
    """Encrypt a string under the newest key."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a string with whichever configured key wrote it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CryptoError("case data could not be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return _fernet().rotate(token.encode()).decode()


PURPOSES = ("phone", "address", "address_key", "name", "phonetic", "login")


def purpose_key(master: bytes, purpose: str) -> bytes:
    """The blind-index key for one purpose, derived from BLIND_INDEX_KEY with HKDF-SHA256: an
    index of phones cannot be matched against one of addresses or names."""
    if purpose not in PURPOSES:
        raise CryptoError(f"unknown blind-index purpose {purpose!r}")
    info = b"nachtwacht/blind-index/" + purpose.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def blind_index(normalised: str | None, *, purpose: str) -> str | None:
    """Keyed HMAC-SHA256 of an already normalised value, for equality look-ups, under the key
    of its purpose (phone, address, name, login)."""
    if not normalised:
        return None
    master = _state.get("blind_key")
    if master is None:
        raise CryptoError("blind index key is not configured")
    keys: dict = _state.setdefault("purpose_keys", {})  # type: ignore[assignment]
    if purpose not in keys:
        keys[purpose] = purpose_key(master, purpose)  # type: ignore[arg-type]
    return hmac.new(keys[purpose], normalised.encode(), hashlib.sha256).hexdigest()
