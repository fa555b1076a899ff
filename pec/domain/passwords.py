"""Password hashing with argon2id at OWASP's floor (t=2, m=19 MiB, p=1; docs/stack-notes.md).

Tests may switch to the cheapest parameters (the app factory does it for a TESTING app
only): a real hash costs ~15 ms of CPU, and the suite hashes and verifies hundreds of
times. A hash records its own parameters, so either hasher verifies the other's hashes.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

REAL = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # argon2's minimum
_DUMMY_PASSWORD = "not a real password"

_hasher = REAL
# Verified when no account matches, so an unknown login costs what a known one does:
# hashed with the parameters in force, and remade whenever they change.
_dummy_hash = REAL.hash(_DUMMY_PASSWORD)


def configure(*, cheap: bool) -> None:
    """Hash with the cheapest parameters (`cheap=True`, tests only) or the real ones."""
    global _hasher, _dummy_hash
    hasher = CHEAP if cheap else REAL
    if hasher is not _hasher:
        _dummy_hash = hasher.hash(_DUMMY_PASSWORD)
        _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; False for a wrong password or no hash at all."""
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend one verification's time when there is nothing to verify (no enumeration)."""
    verify_password(None, password)
