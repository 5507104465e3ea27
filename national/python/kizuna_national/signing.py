"""Ed25519 signing and verification of decisions (docs/contract.md, "Signing").

A decision is signed over the UTF-8 bytes of the canonical JSON of every field it carries except
``signature`` (``keyId`` and ``fleetId`` included); the 64-byte signature travels as padded base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import canonical_bytes
from .errors import ErrorCode, NationalError

_ID_MAX = 64


def _check_key_id(key_id: str) -> None:
    if not isinstance(key_id, str) or not 1 <= len(key_id) <= _ID_MAX:
        raise NationalError(ErrorCode.KEY, f"keyId must be 1 to {_ID_MAX} characters, got {key_id!r}")


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key and the ``keyId`` under which robots trust its public key."""

    key_id: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_key_id(self.key_id)

    @classmethod
    def generate(cls, key_id: str) -> Signer:
        """Returns a signer with a fresh random key pair."""
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, key_id: str, seed: bytes) -> Signer:
        """Returns the signer of a raw 32-byte private key seed (RFC 8032)."""
        if len(seed) != 32:
            raise NationalError(ErrorCode.KEY, f"an Ed25519 private key seed is 32 bytes, got {len(seed)}")
        return cls(key_id, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_pem(cls, key_id: str, pem: bytes, password: bytes | None = None) -> Signer:
        """Returns the signer of a PKCS#8 PEM private key (``openssl genpkey -algorithm ed25519``)."""
        try:
            key = serialization.load_pem_private_key(pem, password=password)
        except (ValueError, TypeError) as err:
            raise NationalError(ErrorCode.KEY, f"cannot read the PEM private key: {err}") from err
        if not isinstance(key, Ed25519PrivateKey):
            raise NationalError(ErrorCode.KEY, f"the PEM key is {type(key).__name__}, not Ed25519")
        return cls(key_id, key)

    def seed(self) -> bytes:
        """Returns the raw 32-byte private key seed (keep it secret)."""
        return self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def public_key_b64(self) -> str:
        """Returns the raw 32-byte public key in base64: the ``publicKey`` of a trusted keys file."""
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def trusted_key_entry(self) -> dict[str, str]:
        """Returns this key's entry of a trusted keys file: ``{"keyId", "publicKey"}``."""
        return {"keyId": self.key_id, "publicKey": self.public_key_b64()}

    def sign_bytes(self, data: bytes) -> str:
        """Returns the padded base64 (88 characters) Ed25519 signature of ``data``."""
        return base64.b64encode(self.private_key.sign(data)).decode("ascii")

    def sign(self, decision: Mapping[str, Any]) -> dict[str, Any]:
        """Returns a copy of ``decision`` with this ``keyId`` and its ``signature`` (any old one replaced)."""
        body = {k: v for k, v in decision.items() if k != "signature"}
        body["keyId"] = self.key_id
        return {**body, "signature": self.sign_bytes(canonical_bytes(body))}


def decode_public_key(public_key_b64: str) -> Ed25519PublicKey:
    """Returns the Ed25519 public key of a raw 32-byte key in base64 (a trusted keys file's ``publicKey``)."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError) as err:
        raise NationalError(ErrorCode.KEY, f"publicKey is not base64: {err}") from err
    if len(raw) != 32:
        raise NationalError(ErrorCode.KEY, f"publicKey must be 32 raw bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_decision(decision: Mapping[str, Any], trusted: Mapping[str, Ed25519PublicKey]) -> None:
    """Checks a decision's signature as a robot does (keyId trusted, signature over the rest); raises if not."""
    key_id = decision.get("keyId")
    signature = decision.get("signature")
    if not isinstance(key_id, str) or not isinstance(signature, str):
        raise NationalError(ErrorCode.SIGNATURE, "the decision has no keyId or no signature (UNSIGNED)")
    key = trusted.get(key_id)
    if key is None:
        raise NationalError(ErrorCode.SIGNATURE, f"keyId {key_id!r} is not trusted (UNKNOWN_KEY)")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as err:
        raise NationalError(ErrorCode.SIGNATURE, f"signature is not base64 (BAD_SIGNATURE): {err}") from err
    body = {k: v for k, v in decision.items() if k != "signature"}
    try:
        key.verify(raw, canonical_bytes(body))
    except InvalidSignature as err:
        raise NationalError(ErrorCode.SIGNATURE, "the signature does not verify (BAD_SIGNATURE)") from err


def trusted_keys_document(signers: list[Signer]) -> dict[str, Any]:
    """Returns a trusted keys file (``trusted_keys.schema.json``) naming the signers' public keys."""
    return {"keys": [s.trusted_key_entry() for s in signers]}


def write_trusted_keys(path: Path, signers: list[Signer]) -> None:
    """Writes the trusted keys file for ``kizuna sim --trusted-keys`` or a robot's ``trusted_keys_file``."""
    path.write_text(json.dumps(trusted_keys_document(signers), indent=2) + "\n", encoding="utf-8")


def read_trusted_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """Returns the public keys of a trusted keys file by ``keyId``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise NationalError(ErrorCode.KEY, f"cannot read trusted keys file {path}: {err}") from err
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list):
        raise NationalError(ErrorCode.KEY, f"{path}: expected {{\"keys\": [...]}}")
    out: dict[str, Ed25519PublicKey] = {}
    for i, entry in enumerate(keys):
        if not isinstance(entry, dict) or not isinstance(entry.get("keyId"), str):
            raise NationalError(ErrorCode.KEY, f"{path}: keys[{i}] needs keyId and publicKey")
        _check_key_id(entry["keyId"])
        out[entry["keyId"]] = decode_public_key(str(entry.get("publicKey", "")))
    return out
