"""Password hashing with argon2id (memory-hard), parameters from the app's configuration,
and the rules a new password must meet (ASVS V6: length, not the e-mail or name, not common)."""

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def configure_hasher(config) -> None:
    global _hasher, _dummy_hash
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", defaults.time_cost),
        memory_cost=config.get("ARGON2_MEMORY_COST", defaults.memory_cost),
    )
    _dummy_hash = None


def dummy_hash() -> str:
    """Verified against for unknown addresses: made with the same settings as real hashes, so a
    miss costs the same argon2 work as a hit and timing tells nothing about who has an account."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-password")
    return _dummy_hash


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


MIN_LENGTH = 8
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password will not do, in plain words; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Please use at least {MIN_LENGTH} characters."
    folded = "".join(password.lower().split())
    local_part = email.strip().lower().partition("@")[0]
    if folded in {email.strip().lower(), local_part} and local_part:
        return "Please do not use your e-mail address as your password."
    name_folded = "".join(name.lower().split())
    if name_folded and folded in {name_folded, *name.lower().split()}:
        return "Please do not use your name as your password."
    if folded in common_passwords() or password.lower() in common_passwords():
        return (
            "This password is one of the most common ones, so it is easy to guess. "
            "Please choose another; a short sentence is easy to remember."
        )
    return None
