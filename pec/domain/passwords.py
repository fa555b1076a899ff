"""Password hashing with argon2id at OWASP's floor (t=2, m=19 MiB, p=1; docs/stack-notes.md)."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost, memory_cost, parallelism=parallelism).hash("not a password")


def _dummy() -> str:
    """A hash made with the parameters in force, verified when there is nothing real to
    verify, so an unknown login costs exactly what a real one costs."""
    return _dummy_hash(_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; False for a wrong password or no hash at all."""
    try:
        return _hasher.verify(password_hash or _dummy(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend one verification's time when there is nothing to verify (no enumeration)."""
    verify_password(None, password)
