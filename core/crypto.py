"""Field encryption (Fernet, newest key first) and keyed blind indexes for case data."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


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


def blind_index(normalised: str | None) -> str | None:
    """Keyed HMAC-SHA256 of an already normalised value, for equality look-ups."""
    if not normalised:
        return None
    key = _state.get("blind_key")
    if key is None:
        raise CryptoError("blind index key is not configured")
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()  # type: ignore[arg-type]
