"""Password hashing with argon2id at OWASP's floor (t=2, m=19 MiB, p=1; docs/stack-notes.md)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when no account matches, so an unknown login costs the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; False for a wrong password or no hash at all."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend one verification's time when there is nothing to verify (no enumeration)."""
    verify_password(None, password)
