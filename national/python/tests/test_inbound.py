"""Robot messages: the topic names the sender; payloads checked against the exported schemas."""

from __future__ import annotations

import json

import pytest

from kizuna_national import Channel, Inbound, InboundReject, RejectCode, Topics, decode
from kizuna_national.inbound import RetainedCleared, StatusCleared
from kizuna_national.schema import Payload, schema_error

T = Topics()


def _enc(body: object) -> bytes:
    return json.dumps(body).encode()


@pytest.mark.parametrize(("payload", "channel"), [("status", "status"), ("state", "state"), ("event", "events"), ("decision_request", "decision/request")])
def test_every_documented_example_is_accepted_from_its_own_topic(doc, payload: str, channel: str) -> None:
    for body in doc.examples(payload):
        robot = body.get("robotId", "care-007")
        got = decode(T, f"kizuna/v1/tokyo-1/{robot}/{channel}", _enc(body), retained=(payload == "status"))
        assert isinstance(got, Inbound), got
        assert (got.fleet, got.robot, got.channel.value) == ("tokyo-1", robot, channel)


def test_a_payload_naming_another_robot_is_refused(doc) -> None:
    event = doc.examples("event")[0]
    got = decode(T, "kizuna/v1/tokyo-1/care-008/events", _enc(event))
    assert isinstance(got, InboundReject) and got.code is RejectCode.ID_MISMATCH
    assert "care-007" in got.message


def test_a_status_naming_another_fleet_is_refused(doc) -> None:
    status = doc.examples("status")[0]
    got = decode(T, "kizuna/v1/osaka-2/care-007/status", _enc(status), retained=True)
    assert isinstance(got, InboundReject) and got.code is RejectCode.ID_MISMATCH


def test_retained_messages_other_than_status_are_not_from_robots(doc) -> None:
    event = doc.examples("event")[0]
    got = decode(T, "kizuna/v1/tokyo-1/care-007/events", _enc(event), retained=True)
    assert isinstance(got, InboundReject) and got.code is RejectCode.RETAINED


def test_an_empty_retained_status_is_a_cleared_presence() -> None:
    got = decode(T, "kizuna/v1/tokyo-1/care-007/status", b"", retained=True)
    assert isinstance(got, StatusCleared) and got.topic.robot == "care-007"


@pytest.mark.parametrize("channel", ["state", "events", "decision/request"])
def test_a_zero_length_message_on_state_events_or_a_request_is_a_robot_clearing_at_connect(channel: str) -> None:
    got = decode(T, f"kizuna/v1/tokyo-1/care-007/{channel}", b"")
    assert isinstance(got, RetainedCleared) and got.topic.robot == "care-007"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", RejectCode.NOT_JSON),
        (b'{"v":"1.2","x":NaN}', RejectCode.NOT_JSON),
        (b"[1,2]", RejectCode.NOT_JSON),
        (b"\xff\xfe", RejectCode.NOT_JSON),
        (b'{"v":"2.0"}', RejectCode.UNSUPPORTED_VERSION),
        (b'{"v":"1.2","robotId":"care-007"}', RejectCode.SCHEMA_INVALID),
    ],
)
def test_malformed_payloads_are_refused_with_a_reason(payload: bytes, code: RejectCode) -> None:
    got = decode(T, "kizuna/v1/tokyo-1/care-007/events", payload)
    assert isinstance(got, InboundReject) and got.code is code


def test_schema_errors_name_the_field(doc) -> None:
    event = {**doc.examples("event")[3], "reason": "ghost"}
    got = decode(T, "kizuna/v1/tokyo-1/care-007/events", _enc(event))
    assert isinstance(got, InboundReject) and got.message.startswith("reason:")


def test_topics_outside_the_contract_are_refused() -> None:
    for topic in ("other/v1/f/r/events", "kizuna/v1/f/r/events/ack", "kizuna/v1/f/broadcast/events", "kizuna/v1/f/r/x"):
        got = decode(T, topic, b"{}")
        assert isinstance(got, InboundReject) and got.code is RejectCode.NOT_CONTRACT_TOPIC


def test_topics_are_built_and_parsed_under_any_root() -> None:
    t = Topics("acme/kz")
    assert t.decision("f1", "r-1") == "acme/kz/f1/r-1/decision"
    assert t.broadcast("f1") == "acme/kz/f1/broadcast/decision"
    assert t.ack("f1", "r-1") == "acme/kz/f1/r-1/events/ack"
    parsed = t.parse("acme/kz/f1/r-1/decision/request")
    assert parsed is not None and parsed.channel is Channel.DECISION_REQUEST
    assert t.subscriptions("f1", share_group="g") == [
        "$share/g/acme/kz/f1/+/status",
        "$share/g/acme/kz/f1/+/state",
        "$share/g/acme/kz/f1/+/events",
        "$share/g/acme/kz/f1/+/decision/request",
    ]


@pytest.mark.parametrize("payload", list(Payload))
def test_every_example_in_the_contract_document_is_valid_against_its_exported_json_schema(doc, payload: Payload) -> None:
    examples = doc.examples(payload.value)
    assert examples, f"docs/contract.md has no <!-- example: {payload.value} --> block"
    for body in examples:
        assert schema_error(payload, body) is None, (payload.value, schema_error(payload, body), body)


def test_the_json_schema_check_names_what_is_wrong_in_an_example(doc) -> None:
    broken = {**doc.examples("trusted_keys")[0]}
    broken["keys"] = [{"keyId": "national-2026-a"}]
    assert "publicKey" in (schema_error(Payload.TRUSTED_KEYS, broken) or "")
