"""Decision outcomes from events, and the bridge's reject codes exactly as the contract lists them."""

from __future__ import annotations

import re

from kizuna_national import BridgeReject, DecisionTracker


def test_reject_codes_are_the_contract_table_in_its_order(doc) -> None:
    section = doc.text[doc.text.index("## What the robot does with a decision") :]
    table = re.findall(r"^\| \d+\s+\|.*\| `([A-Z_]+)`[^|]*\|$", section, re.M)
    assert table == [c.value for c in BridgeReject]


def _event(seq: int, type_: str, **kw: object) -> dict:
    return {"v": "1.2", "robotId": "r", "epoch": "e", "seq": seq, "at": seq, "type": type_, **kw}


def test_outcomes_follow_the_lifecycle_to_a_terminal_state() -> None:
    t = DecisionTracker()
    t.sent("f", "r", {"decisionId": "d1", "kind": {"type": "navigate_to"}})
    for i, ty in enumerate(["decision_accepted", "decision_started", "decision_progress", "decision_succeeded"]):
        t.on_event("f", "r", _event(i + 1, ty, decisionId="d1", source="cloud", kind="navigate_to", progress=0.5))
    o = t.get("d1")
    assert o is not None and o.done and o.state == "succeeded" and o.sent_by_us
    assert o.history == ["accepted", "started", "progress", "succeeded"]
    # a REPLAYED copy (QoS 1 at least once) does not undo it
    t.on_event("f", "r", _event(9, "decision_rejected", decisionId="d1", by="bridge", source="cloud", reason="REPLAYED"))
    assert t.get("d1").state == "succeeded"  # type: ignore[union-attr]


def test_bridge_rejections_keep_reason_and_who() -> None:
    t = DecisionTracker()
    t.sent("f", "r", {"decisionId": "d2", "kind": {"type": "stop"}})
    t.on_event("f", "r", _event(1, "decision_rejected", decisionId="d2", by="bridge", source="cloud", reason="UNKNOWN_KEY"))
    o = t.get("d2")
    assert o is not None and (o.state, o.by, o.reason) == ("rejected", "bridge", "UNKNOWN_KEY")


def test_flood_summaries_are_counted_by_reason() -> None:
    t = DecisionTracker()
    t.on_event("f", "r", _event(1, "rejections_summary", windowMs=1000, counts={"BAD_SIGNATURE": 30}))
    t.on_event("f", "r", _event(2, "rejections_summary", windowMs=1000, counts={"BAD_SIGNATURE": 5, "EXPIRED": 1}))
    assert t.summarised_rejections == {"BAD_SIGNATURE": 35, "EXPIRED": 1}
