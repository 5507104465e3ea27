"""Decoding what robots send: topic first, then payload, checked against the contract's schemas.

The topic is the one trustworthy name of the sender (the broker lets a robot write only its own
topics); a payload naming another robot or fleet is rejected, never acted on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .schema import Payload, schema_error
from .topics import Channel, Topic, Topics


class RejectCode(str, Enum):
    """Why the national side refuses a robot message (reported, never acted on)."""

    NOT_CONTRACT_TOPIC = "NOT_CONTRACT_TOPIC"
    RETAINED = "RETAINED"
    """Retained on a topic where robots never retain (only status is retained): not from a robot."""
    NOT_JSON = "NOT_JSON"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    SCHEMA_INVALID = "SCHEMA_INVALID"
    ID_MISMATCH = "ID_MISMATCH"
    """The payload's ``robotId`` (or a status's ``fleet``) is not the topic's: a compromised or misconfigured robot."""


_PAYLOAD_OF = {
    Channel.STATUS: Payload.STATUS,
    Channel.STATE: Payload.STATE,
    Channel.EVENTS: Payload.EVENT,
    Channel.DECISION_REQUEST: Payload.DECISION_REQUEST,
}


@dataclass(frozen=True)
class Inbound:
    """A valid robot message: ``fleet`` and ``robot`` come from the topic, ``body`` is the payload."""

    topic: Topic
    body: dict[str, Any]
    retained: bool = False
    response_topic: str | None = None
    """MQTT 5 response topic of a decision request (checked before use: see the client's answer)."""
    correlation_data: bytes | None = None
    """MQTT 5 correlation data of a decision request (the requestId as UTF-8)."""

    @property
    def fleet(self) -> str:
        """The sender's fleet (from the topic)."""
        return self.topic.fleet

    @property
    def robot(self) -> str:
        """The sender's robot id (from the topic)."""
        return self.topic.robot

    @property
    def channel(self) -> Channel:
        """What the message is."""
        return self.topic.channel


@dataclass(frozen=True)
class InboundReject:
    """A robot message refused, with why; ``topic`` is None when the topic itself is not the contract's."""

    topic_text: str
    topic: Topic | None
    code: RejectCode
    message: str
    retained: bool = False


@dataclass(frozen=True)
class StatusCleared:
    """An empty retained status: someone cleared a retired robot's presence."""

    topic: Topic


@dataclass(frozen=True)
class RetainedCleared:
    """A zero-length message on a robot's ``state``, ``events`` or ``decision/request``: the robot clearing,
    at connect, a retained message someone else left there (contract). It carries nothing: ignore it."""

    topic: Topic


_CLEARED_AT_CONNECT = (Channel.STATE, Channel.EVENTS, Channel.DECISION_REQUEST)

Decoded = Inbound | InboundReject | StatusCleared | RetainedCleared


def decode(
    topics: Topics,
    topic_text: str,
    payload: bytes,
    retained: bool = False,
    response_topic: str | None = None,
    correlation_data: bytes | None = None,
) -> Decoded:
    """Returns the checked message of ``payload`` on ``topic_text``, or why it is refused."""
    topic = topics.parse(topic_text)
    if topic is None or topic.channel not in _PAYLOAD_OF:
        return InboundReject(topic_text, topic, RejectCode.NOT_CONTRACT_TOPIC, "not a robot-to-cloud topic", retained)
    if topic.channel is Channel.STATUS and retained and len(payload) == 0:
        return StatusCleared(topic)
    if len(payload) == 0 and topic.channel in _CLEARED_AT_CONNECT:
        return RetainedCleared(topic)
    if retained and topic.channel is not Channel.STATUS:
        return InboundReject(
            topic_text, topic, RejectCode.RETAINED, "retained on a topic robots never retain: not sent by a robot", True
        )
    try:
        body = json.loads(payload.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as err:
        return InboundReject(topic_text, topic, RejectCode.NOT_JSON, f"not UTF-8 JSON: {err}", retained)
    if not isinstance(body, dict):
        return InboundReject(topic_text, topic, RejectCode.NOT_JSON, "not a JSON object", retained)
    version = body.get("v")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        return InboundReject(topic_text, topic, RejectCode.UNSUPPORTED_VERSION, f"v {version!r}: major 1 expected", retained)
    why = schema_error(_PAYLOAD_OF[topic.channel], body)
    if why is not None:
        return InboundReject(topic_text, topic, RejectCode.SCHEMA_INVALID, why, retained)
    if topic.channel is not Channel.STATE and body.get("robotId") != topic.robot:
        return InboundReject(
            topic_text, topic, RejectCode.ID_MISMATCH, f"robotId {body.get('robotId')!r} on {topic.robot!r}'s topic", retained
        )
    if topic.channel is Channel.STATUS and body.get("fleet") != topic.fleet:
        return InboundReject(
            topic_text, topic, RejectCode.ID_MISMATCH, f"fleet {body.get('fleet')!r} on fleet {topic.fleet!r}'s topic", retained
        )
    return Inbound(topic, body, retained, response_topic, correlation_data)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
