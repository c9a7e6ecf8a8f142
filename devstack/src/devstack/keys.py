"""The development signing key for auth_service, made once and kept in `.data/keys/`.

auth_service reads every `<kid>.pem` in `AUTH_JWT_KEYS_DIR`; the file name is the JWK `kid`.
The key is for a developer's machine only: `.data/` is never committed.
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def new_kid(today: datetime.date | None = None) -> str:
    """A key id like `dev-20250101-a1b2`: sortable by date, unique enough for one machine."""
    day = today or datetime.datetime.now(datetime.UTC).date()
    return f"dev-{day:%Y%m%d}-{secrets.token_hex(2)}"


def ensure_signing_key(keys_dir: Path) -> Path:
    """The first `*.pem` in `keys_dir`, or a new EC P-256 private key written there (mode 0600)."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    existing = sorted(keys_dir.glob("*.pem"))
    if existing:
        return existing[0]
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    path = keys_dir / f"{new_kid()}.pem"
    # Created with 0600 from the start, so the key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return path
