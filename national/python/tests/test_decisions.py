"""Building decisions: every one signed, bound to its fleet, and valid by the contract's schema."""

from __future__ import annotations

import pytest

from kizuna_national import (
    Issuer,
    NationalError,
    Signer,
    decode_public_key,
    dock,
    hold,
    navigate_to,
    perform_task,
    pose,
    resume,
    set_speed_limit,
    stop,
    verify_decision,
)
from kizuna_national.schema import Payload, schema_error

NOW = 1_795_849_200_000


@pytest.fixture()
def issuer() -> Issuer:
    return Issuer(Signer.generate("national-test"), lifetime_s=300, clock_ms=lambda: NOW)


@pytest.mark.parametrize(
    "kind",
    [
        navigate_to(pose(12.5, -3.25, 1.5708), max_speed=0.6),
        dock(pose(0.5, 0, 3.1416)),
        hold(),
        stop(),
        resume(),
        set_speed_limit(0.5),
        perform_task("care", "accompany", {"person_id": "p-93", "destination": pose(4, 2), "max_speed": 0.5}),
        perform_task("care", "remind_medication", {"room": pose(4, 2), "reminder_id": "r-1"}),
    ],
)
def test_every_kind_makes_a_signed_valid_decision_for_one_fleet(issuer: Issuer, kind: dict) -> None:
    d = issuer.decision("tokyo-1", "care-007", kind, request_id="r-0042")
    assert schema_error(Payload.DECISION, d) is None
    assert (d["v"], d["fleetId"], d["robotId"], d["requestId"]) == ("1.1", "tokyo-1", "care-007", "r-0042")
    assert (d["issuedAt"], d["expiresAt"]) == (NOW, NOW + 300_000)
    verify_decision(d, {"national-test": decode_public_key(issuer.signer.public_key_b64())})


def test_decision_ids_are_unique_and_reusable_on_purpose(issuer: Issuer) -> None:
    ids = {issuer.decision("f", "r", stop())["decisionId"] for _ in range(100)}
    assert len(ids) == 100 and all(len(i) <= 64 for i in ids)
    again = issuer.decision("f", "r", stop(), decision_id="d-keep")
    assert again["decisionId"] == "d-keep"


def test_integral_floats_are_sent_as_integers() -> None:
    assert pose(4.0, 2.0, 0.0) == {"x": 4, "y": 2, "yaw": 0}
    assert all(type(v) is int for v in pose(4.0, 2.0, 0.0).values())


def test_broadcasts_carry_only_fleet_wide_kinds(issuer: Issuer) -> None:
    d = issuer.decision("tokyo-1", "*", stop(), priority=255)
    assert d["robotId"] == "*" and d["fleetId"] == "tokyo-1"
    with pytest.raises(NationalError, match="NOT_ALLOWED_IN_BROADCAST"):
        issuer.decision("tokyo-1", "*", navigate_to(pose(1, 1)))


def test_what_a_robot_would_reject_is_refused_before_sending(issuer: Issuer) -> None:
    with pytest.raises(NationalError, match="LIFETIME_TOO_LONG"):
        issuer.decision("f", "r", stop(), lifetime_s=3 * 24 * 3600)
    with pytest.raises(NationalError, match="maxSpeed"):
        issuer.decision("f", "r", navigate_to(pose(1, 1), max_speed=11))
    with pytest.raises(NationalError, match="priority"):
        issuer.decision("f", "r", stop(), priority=256)
    with pytest.raises(NationalError, match="KZN_ERR_TOPIC"):
        issuer.decision("tokyo 1", "r", stop())
    with pytest.raises(NationalError, match="finite"):
        pose(float("nan"), 0)
