"""Building decisions (docs/contract.md, "decision"): kinds, ids, lifetimes, fleetId, signature.

Every decision this module returns is signed and valid by the contract's schema; an invalid one
raises KZN_ERR_DECISION here instead of being rejected by the robot.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ErrorCode, NationalError
from .schema import Payload, schema_error
from .signing import Signer
from .topics import check_id

DECISION_VERSION = "1.1"
"""The ``v`` a 1.2 robot expects in a decision (decisions did not change in 1.2)."""
MAX_LIFETIME_MS = 24 * 3600 * 1000
"""A robot rejects a decision living longer (LIFETIME_TOO_LONG)."""
BROADCAST_KINDS = frozenset({"hold", "stop", "resume", "set_speed_limit"})
"""The only kinds a broadcast may carry (else NOT_ALLOWED_IN_BROADCAST)."""

Kind = dict[str, Any]
Pose = dict[str, float]


def pose(x: float, y: float, yaw: float = 0.0) -> Pose:
    """Returns a map-frame pose: ``x``, ``y`` [m], ``yaw`` [rad] counter-clockwise from +x."""
    for name, value in (("x", x), ("y", y), ("yaw", yaw)):
        if not math.isfinite(value):
            raise NationalError(ErrorCode.DECISION, f"pose {name} must be finite, got {value}")
    return {"x": _num(x), "y": _num(y), "yaw": _num(yaw)}


def navigate_to(target: Pose, max_speed: float | None = None) -> Kind:
    """Returns a ``navigate_to`` kind: drive to ``target``, optionally capped at ``max_speed`` [m/s]."""
    kind: Kind = {"type": "navigate_to", "target": target}
    if max_speed is not None:
        kind["maxSpeed"] = _num(max_speed)
    return kind


def dock(approach: Pose) -> Kind:
    """Returns a ``dock`` kind: dock at the station whose approach point is ``approach``."""
    return {"type": "dock", "approach": approach}


def hold() -> Kind:
    """Returns a ``hold`` kind: stop and keep position, pausing the active decision."""
    return {"type": "hold"}


def stop() -> Kind:
    """Returns a ``stop`` kind: cancel the active decision and stop."""
    return {"type": "stop"}


def resume() -> Kind:
    """Returns a ``resume`` kind: continue the decision paused by ``hold``."""
    return {"type": "resume"}


def set_speed_limit(speed_limit: float) -> Kind:
    """Returns a ``set_speed_limit`` kind [m/s]; 0 clears the limit."""
    return {"type": "set_speed_limit", "speedLimit": _num(speed_limit)}


def perform_task(profile: str, task: str, args: Mapping[str, Any]) -> Kind:
    """Returns a ``perform_task`` kind (``args`` as the contract's task table lists them)."""
    return {"type": "perform_task", "profile": profile, "task": task, "args": dict(args)}


def _num(value: float) -> float | int:
    # JCS writes 4.0 as 4; sending the integer keeps json.dumps and the signed text identical.
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53 - 1:
        return int(value)
    return value


def new_decision_id(prefix: str = "d") -> str:
    """Returns a fresh decision id: ``prefix`` and 128 random bits (unique without coordination)."""
    return f"{prefix}-{secrets.token_hex(16)}"


@dataclass
class Issuer:
    """Builds signed decisions for one national side: its key, default lifetime and clock."""

    signer: Signer
    lifetime_s: float = 300.0
    """Default lifetime: ``expiresAt`` = ``issuedAt`` + this [s]. Minutes for what goes stale."""
    id_prefix: str = "d"
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    """Wall clock [ms since the Unix epoch]; robots judge expiry by theirs."""

    def decision(
        self,
        fleet: str,
        robot: str,
        kind: Kind,
        *,
        priority: int = 100,
        request_id: str | None = None,
        decision_id: str | None = None,
        lifetime_s: float | None = None,
        issued_at_ms: int | None = None,
    ) -> dict[str, Any]:
        """Returns a signed decision for ``robot`` of ``fleet`` (``robot`` ``"*"``: the fleet's broadcast).

        Re-sending what is still wanted after a robot's new birth: pass the same ``decision_id`` (a copy
        the robot already had is only REPLAYED).
        """
        check_id("fleet", fleet)
        if robot == "*":
            if kind.get("type") not in BROADCAST_KINDS:
                raise NationalError(
                    ErrorCode.DECISION,
                    f"a broadcast may carry only {sorted(BROADCAST_KINDS)}, not {kind.get('type')!r}"
                    " (robots reject it NOT_ALLOWED_IN_BROADCAST)",
                )
        else:
            check_id("robot", robot)
        issued = self.clock_ms() if issued_at_ms is None else issued_at_ms
        life_ms = round((self.lifetime_s if lifetime_s is None else lifetime_s) * 1000)
        if not 0 < life_ms <= MAX_LIFETIME_MS:
            raise NationalError(
                ErrorCode.DECISION, f"lifetime must be above 0 and at most 24 h, got {life_ms} ms (LIFETIME_TOO_LONG)"
            )
        body: dict[str, Any] = {
            "v": DECISION_VERSION,
            "decisionId": decision_id if decision_id is not None else new_decision_id(self.id_prefix),
            "robotId": robot,
            "fleetId": fleet,
            "issuedAt": issued,
            "expiresAt": issued + life_ms,
            "priority": priority,
            "kind": kind,
        }
        if request_id is not None:
            body["requestId"] = request_id
        signed = self.signer.sign(body)
        why = schema_error(Payload.DECISION, signed)
        if why is not None:
            raise NationalError(ErrorCode.DECISION, f"the decision is not valid by the contract: {why}")
        return signed
