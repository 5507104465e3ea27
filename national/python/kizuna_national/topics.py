"""The contract's MQTT topics: ``{root}/{fleet}/{robotId}/<channel>`` (docs/contract.md, "Topics")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .errors import ErrorCode, NationalError

DEFAULT_ROOT = "kizuna/v1"
BROADCAST = "broadcast"
"""The reserved robot level of a fleet's broadcast decision topic."""

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Channel(str, Enum):
    """What a topic carries, by the levels after ``{fleet}/{robotId}``."""

    STATUS = "status"
    STATE = "state"
    EVENTS = "events"
    EVENTS_ACK = "events/ack"
    DECISION_REQUEST = "decision/request"
    DECISION = "decision"


ROBOT_TO_CLOUD = (Channel.STATUS, Channel.STATE, Channel.EVENTS, Channel.DECISION_REQUEST)
"""The channels a national side subscribes to."""


def is_valid_id(value: str) -> bool:
    """Returns whether ``value`` can be a fleet or robot id: letters, digits, ``_``, ``-``, 1 to 64."""
    return bool(_ID.match(value))


def check_id(what: str, value: str) -> str:
    """Returns ``value`` when it is a valid fleet or robot id, else raises KZN_ERR_TOPIC."""
    if not isinstance(value, str) or not is_valid_id(value):
        raise NationalError(ErrorCode.TOPIC, f"{what} {value!r}: use letters, digits, _ and -, 1 to 64 characters")
    return value


@dataclass(frozen=True)
class Topic:
    """A parsed contract topic: the fleet and robot it names are the sender's (or addressee's) identity."""

    root: str
    fleet: str
    robot: str
    channel: Channel

    def __str__(self) -> str:
        return f"{self.root}/{self.fleet}/{self.robot}/{self.channel.value}"


class Topics:
    """Builds and parses the topics under one root (``kizuna/v1`` unless the deployment sets another)."""

    def __init__(self, root: str = DEFAULT_ROOT) -> None:
        if not root or root.startswith("/") or root.endswith("/") or any(c in root for c in "+#"):
            raise NationalError(ErrorCode.TOPIC, f"root {root!r}: no leading or trailing '/', no wildcards")
        self.root = root
        self._depth = root.count("/") + 1

    def topic(self, fleet: str, robot: str, channel: Channel) -> str:
        """Returns the topic of ``channel`` for one robot of one fleet."""
        check_id("fleet", fleet)
        if not (robot == BROADCAST and channel is Channel.DECISION):
            check_id("robot", robot)
            if robot == BROADCAST:
                raise NationalError(ErrorCode.TOPIC, "robot id 'broadcast' is reserved")
        return f"{self.root}/{fleet}/{robot}/{channel.value}"

    def decision(self, fleet: str, robot: str) -> str:
        """Returns the robot's own decision topic, the only one a decision for it may go to."""
        return self.topic(fleet, robot, Channel.DECISION)

    def broadcast(self, fleet: str) -> str:
        """Returns the fleet's broadcast decision topic."""
        return self.topic(fleet, BROADCAST, Channel.DECISION)

    def ack(self, fleet: str, robot: str) -> str:
        """Returns the robot's ``events/ack`` topic."""
        return self.topic(fleet, robot, Channel.EVENTS_ACK)

    def subscriptions(self, fleet: str = "+", share_group: str | None = None) -> list[str]:
        """Returns the filters for every robot-to-cloud channel of a fleet (``+``: all fleets).

        With ``share_group`` they are shared subscriptions (``$share/<group>/...``, MQTT 5): then one
        robot's stream is spread over the group, whose books must live in one place.
        """
        if fleet != "+":
            check_id("fleet", fleet)
        prefix = ""
        if share_group is not None:
            check_id("share group", share_group)
            prefix = f"$share/{share_group}/"
        return [f"{prefix}{self.root}/{fleet}/+/{c.value}" for c in ROBOT_TO_CLOUD]

    def parse(self, topic: str) -> Topic | None:
        """Returns the parsed topic, or None when it is not a contract topic under this root."""
        if not topic.startswith(self.root + "/"):
            return None
        levels = topic[len(self.root) + 1 :].split("/")
        if len(levels) < 3:
            return None
        fleet, robot, rest = levels[0], levels[1], "/".join(levels[2:])
        try:
            channel = Channel(rest)
        except ValueError:
            return None
        if not is_valid_id(fleet) or not is_valid_id(robot):
            return None
        if robot == BROADCAST and channel is not Channel.DECISION:
            return None
        return Topic(self.root, fleet, robot, channel)
