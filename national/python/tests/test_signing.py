"""Ed25519 signatures as docs/contract.md, "Signing" and its test vector, prescribe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kizuna_national import NationalError, Signer, decode_public_key, read_trusted_keys, verify_decision, write_trusted_keys
from kizuna_national.schema import Payload, schema_error


@pytest.fixture()
def test_key(doc) -> Signer:
    seed = bytes.fromhex(doc.field(r"private key seed \(hex\): `([0-9a-f]{64})`"))
    return Signer.from_seed(doc.field(r"- `keyId`: `([^`]+)`"), seed)


def test_the_test_key_is_the_one_documented(doc, test_key: Signer) -> None:
    assert test_key.key_id == "national-2026-a"
    assert test_key.public_key_b64() == doc.field(r"public key \(base64\): `([^`]+)`")
    assert test_key.seed().hex() == doc.field(r"private key seed \(hex\): `([0-9a-f]{64})`")


def test_signature_matches_the_test_vector_byte_for_byte(doc, test_key: Signer) -> None:
    before = json.loads(doc.block_after("Decision before signing"))
    signed = test_key.sign({k: v for k, v in before.items() if k != "keyId"})
    assert signed["signature"] == doc.block_after("<!-- vector: signature -->")
    assert len(signed["signature"]) == 88
    assert {k: v for k, v in signed.items() if k != "signature"} == before


def test_every_documented_decision_verifies_with_the_test_key(doc, test_key: Signer) -> None:
    trusted = {test_key.key_id: decode_public_key(test_key.public_key_b64())}
    examples = doc.examples("decision")
    assert len(examples) == 5
    for decision in examples:
        verify_decision(decision, trusted)
        assert test_key.sign(decision)["signature"] == decision["signature"]
        assert schema_error(Payload.DECISION, decision) is None


def test_a_changed_field_or_an_unknown_key_does_not_verify(doc, test_key: Signer) -> None:
    trusted = {test_key.key_id: decode_public_key(test_key.public_key_b64())}
    decision = doc.examples("decision")[0]
    with pytest.raises(NationalError, match="BAD_SIGNATURE"):
        verify_decision({**decision, "fleetId": "osaka-2"}, trusted)
    with pytest.raises(NationalError, match="UNKNOWN_KEY"):
        verify_decision({**decision, "keyId": "someone-else"}, trusted)
    with pytest.raises(NationalError, match="UNSIGNED"):
        verify_decision({k: v for k, v in decision.items() if k != "signature"}, trusted)


def test_trusted_keys_file_round_trip_matches_its_schema(tmp_path: Path) -> None:
    signers = [Signer.generate("national-a"), Signer.generate("national-b")]
    path = tmp_path / "keys.json"
    write_trusted_keys(path, signers)
    assert schema_error(Payload.TRUSTED_KEYS, json.loads(path.read_text())) is None
    keys = read_trusted_keys(path)
    assert sorted(keys) == ["national-a", "national-b"]
    verify_decision(signers[1].sign({"v": "1.1", "decisionId": "x"}), keys)


def test_pem_keys_as_openssl_writes_them_are_read(test_key: Signer) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = test_key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert Signer.from_pem("k", pem).public_key_b64() == test_key.public_key_b64()
    with pytest.raises(NationalError, match="KZN_ERR_KEY"):
        Signer.from_pem("k", b"not a key")
    with pytest.raises(NationalError, match="32 bytes"):
        Signer.from_seed("k", b"short")
