"""What became of each decision, from the robots' events (``decision_*``, ``rejections_summary``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class BridgeReject(str, Enum):
    """Reasons a robot's bridge rejects a decision on arrival, in the order it checks them (contract table)."""

    RETAINED = "RETAINED"
    OVERSIZE = "OVERSIZE"
    NOT_JSON = "NOT_JSON"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    NUMBER_OUT_OF_RANGE = "NUMBER_OUT_OF_RANGE"
    SCHEMA_INVALID = "SCHEMA_INVALID"
    WRONG_ROBOT = "WRONG_ROBOT"
    FLEET_MISSING = "FLEET_MISSING"
    WRONG_FLEET = "WRONG_FLEET"
    NOT_ALLOWED_IN_BROADCAST = "NOT_ALLOWED_IN_BROADCAST"
    UNSIGNED = "UNSIGNED"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    LIFETIME_TOO_LONG = "LIFETIME_TOO_LONG"
    EXPIRED = "EXPIRED"
    FUTURE_DATED = "FUTURE_DATED"
    REPLAYED = "REPLAYED"
    SPEED_ABOVE_PROFILE_MAX = "SPEED_ABOVE_PROFILE_MAX"
    TASK_NOT_IN_PROFILE = "TASK_NOT_IN_PROFILE"


TERMINAL = frozenset({"succeeded", "failed", "canceled", "expired", "preempted", "rejected"})
"""Decision states after which nothing more happens to it."""


@dataclass
class DecisionOutcome:
    """The latest known state of one decision (``state``: ``sent`` until the robot says more)."""

    decision_id: str
    fleet: str
    robot: str
    state: str = "sent"
    kind: str | None = None
    source: str | None = None
    reason: str | None = None
    by: str | None = None
    """For ``rejected``: ``bridge`` (failed a check on arrival) or ``executive`` (refused to carry it out)."""
    message: str | None = None
    progress: float | None = None
    sent_by_us: bool = False
    history: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Whether the decision reached a terminal state."""
        return self.state in TERMINAL


class DecisionTracker:
    """Outcomes by decisionId (across fleets and robots; decision ids are unique)."""

    def __init__(self) -> None:
        self._outcomes: dict[str, DecisionOutcome] = {}
        self.summarised_rejections: dict[str, int] = {}
        """Per reason, rejections a robot counted in ``rejections_summary`` events (a flood) instead of one each."""

    def sent(self, fleet: str, robot: str, decision: dict[str, Any]) -> DecisionOutcome:
        """Records a decision just published; returns its outcome (state ``sent``)."""
        outcome = self._outcomes.get(decision["decisionId"])
        if outcome is None:
            outcome = DecisionOutcome(decision["decisionId"], fleet, robot, kind=decision["kind"]["type"])
            self._outcomes[outcome.decision_id] = outcome
        outcome.sent_by_us = True
        return outcome

    def on_event(self, fleet: str, robot: str, event: dict[str, Any]) -> DecisionOutcome | None:
        """Updates the books from one event; returns the outcome it changed, if any."""
        kind = event["type"]
        if kind == "rejections_summary":
            for reason, count in event["counts"].items():
                self.summarised_rejections[reason] = self.summarised_rejections.get(reason, 0) + count
            return None
        if not kind.startswith("decision_") or kind == "decision_requested" or "decisionId" not in event:
            return None
        decision_id = event["decisionId"]
        outcome = self._outcomes.get(decision_id)
        if outcome is None:
            outcome = DecisionOutcome(decision_id, fleet, robot, kind=event.get("kind"))
            self._outcomes[decision_id] = outcome
        state = kind[len("decision_") :]
        outcome.history.append(state)
        if state == "rejected" and event.get("reason") == BridgeReject.REPLAYED.value and outcome.state != "sent":
            return outcome  # a second copy of one the robot already has (QoS 1 at least once): not news
        if not outcome.done:
            outcome.state = state
        outcome.source = event.get("source", outcome.source)
        outcome.reason = event.get("reason", outcome.reason)
        outcome.by = event.get("by", outcome.by)
        outcome.message = event.get("message", outcome.message)
        if "progress" in event:
            outcome.progress = event["progress"]
        return outcome

    def get(self, decision_id: str) -> DecisionOutcome | None:
        """Returns the outcome of a decision, or None when nothing is known of it."""
        return self._outcomes.get(decision_id)

    def all(self) -> list[DecisionOutcome]:
        """Returns every outcome."""
        return list(self._outcomes.values())
