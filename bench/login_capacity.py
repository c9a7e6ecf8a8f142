"""How many logins a core can check per second with the configured argon2id parameters.

    uv run python -m bench.login_capacity [--seconds 10]

A login is one argon2id verification (auth_service.passwords, the settings' parameters)
plus a few milliseconds of ordinary request work; the hash dominates by design. This
measures the hash alone, on one thread (one core), and prints what that means for
replicas: an auth_service replica may use up to one core (its CPU limit in
gitops/apps/auth-service/base; it requests a quarter).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

from auth_service.config import AuthSettings
from auth_service.passwords import PasswordHashing


async def measure(seconds: float) -> tuple[int, float]:
    settings = AuthSettings.model_construct()  # defaults only; nothing is connected
    hashing = PasswordHashing(
        settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
    )
    stored = await hashing.hash("a long passphrase for the benchmark")
    verified, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        assert await hashing.verify(stored, "a long passphrase for the benchmark")
        verified += 1
    return verified, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    defaults = AuthSettings.model_construct()
    verified, elapsed = asyncio.run(measure(args.seconds))
    per_second = verified / elapsed
    print(
        f"argon2id m={defaults.argon2_memory_kib} KiB, t={defaults.argon2_time_cost},"
        f" p={defaults.argon2_parallelism}: {per_second:.1f} logins/s per core"
        f" ({1000 / per_second:.1f} ms each, {verified} in {elapsed:.1f} s)"
    )
    for rate in (1, 5, 20, 50):
        # Keep a replica's core at most 60 % busy with hashing: the rest serves other routes.
        replicas = math.ceil(rate / (0.6 * per_second))
        print(f"  {rate:>3} logins/s needs {replicas} auth_service replica(s) of one core")


if __name__ == "__main__":
    main()
