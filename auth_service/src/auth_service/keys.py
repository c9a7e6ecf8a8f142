"""Signing keys: loaded from PEM files, published as a JWKS, used to sign access tokens."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from service_kit.auth import ALGORITHM


class SigningKeyError(RuntimeError):
    """The key directory cannot give a usable signing key."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class KeySet:
    active: SigningKey
    published: tuple[SigningKey, ...]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published]}


def load_key(path: Path) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path.name} is not an unencrypted PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SigningKeyError(f"{path.name} is not a P-256 key (ES256 needs one)")
    return SigningKey(kid=path.stem, private_key=key)


def load_key_set(directory: Path, active_kid: str | None) -> KeySet:
    keys = tuple(load_key(path) for path in sorted(directory.glob("*.pem")))
    if not keys:
        raise SigningKeyError(f"no *.pem signing key in {directory}")
    by_kid = {key.kid: key for key in keys}
    if active_kid is None:
        if len(keys) > 1:
            raise SigningKeyError("several keys and no AUTH_JWT_ACTIVE_KID: say which one signs")
        return KeySet(active=keys[0], published=keys)
    if active_kid not in by_kid:
        raise SigningKeyError(f"AUTH_JWT_ACTIVE_KID={active_kid} has no {active_kid}.pem")
    return KeySet(active=by_kid[active_kid], published=keys)


def generate_key_file(directory: Path, kid: str) -> Path:
    """Write a new P-256 key as ``<kid>.pem`` (mode 0600): for development and tests."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kid}.pem"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return path
