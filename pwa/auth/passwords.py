"""Password hashing with argon2id (memory-hard), parameters from the app's configuration."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def configure_hasher(config) -> None:
    global _hasher
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", defaults.time_cost),
        memory_cost=config.get("ARGON2_MEMORY_COST", defaults.memory_cost),
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


# Verified against on unknown e-mail addresses so that a miss costs as long as a hit.
DUMMY_HASH = PasswordHasher(time_cost=1, memory_cost=1024).hash("not-a-password")
