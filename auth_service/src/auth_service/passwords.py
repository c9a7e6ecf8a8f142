"""Password policy (length, not composition; no common passwords) and argon2id hashing.

Hashing is deliberately slow, so it runs in a worker thread and never blocks the loop.
"""

from __future__ import annotations

from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128
#: How many of the most common passwords are refused (zxcvbn's list, from real breaches).
COMMON_PASSWORD_COUNT = 10_000


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The most common leaked passwords, lower-cased; loaded once, on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # large module: import lazily

    ranked: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(word.lower() for word in ranked[:COMMON_PASSWORD_COUNT])


def password_problem(password: str) -> str | None:
    """The RealWorld message for a password that breaks the policy, or None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"is too short (minimum is {MIN_LENGTH} characters)"
    if len(password) > MAX_LENGTH:
        return f"is too long (maximum is {MAX_LENGTH} characters)"
    if password.lower() in common_passwords():
        return "is too common"
    return None


class PasswordHashing:
    def __init__(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verifying against this for unknown users keeps their timing like a wrong password.
        self._decoy_hash = self.hasher.hash("decoy password for unknown users")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self.hasher.verify(password_hash or self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)
