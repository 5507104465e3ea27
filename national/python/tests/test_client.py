"""The client's message path without a broker (``handle`` is what paho's callback calls)."""

from __future__ import annotations

import json

import pytest

from kizuna_national import Arrival, ClientOptions, Inbound, InboundReject, Issuer, NationalClient, NationalError, Signer, stop


def _client() -> NationalClient:
    return NationalClient(ClientOptions(url="mqtt://127.0.0.1:1", client_id="t"), Issuer(Signer.generate("k")))


def _event(seq: int, **kw: object) -> bytes:
    body = {"v": "1.2", "robotId": "r1", "epoch": "e1", "seq": seq, "at": 1, "type": "health", "level": "ok", **kw}
    return json.dumps(body).encode()


def test_each_event_is_acted_on_once_and_acknowledged_cumulatively() -> None:
    c = _client()
    seen: list[tuple[int, Arrival]] = []
    c.on_event = lambda m, a: seen.append((m.body["seq"], a))
    for seq in (1, 2, 2, 4, 3, 1):
        c.handle("kizuna/v1/f/r1/events", _event(seq))
    assert seen == [(1, Arrival.NEW), (2, Arrival.NEW), (4, Arrival.NEW_ABOVE_GAP), (3, Arrival.NEW)]
    book = c.books.get("f", "r1", "e1")
    assert book is not None and (book.acked, book.duplicates) == (4, 2)
    assert c.books.take_acks()[0][1] == 4


def test_an_event_whose_handler_fails_is_not_put_in_the_books() -> None:
    c = _client()

    def boom(_m: Inbound, _a: Arrival) -> None:
        raise RuntimeError("database down")

    c.on_event = boom
    c.handle("kizuna/v1/f/r1/events", _event(1))
    book = c.books.get("f", "r1", "e1")
    assert book is not None and book.acked == 0  # acknowledged up to 0: the robot sends it again


def test_a_loss_event_floor_moves_the_books_past_lost_seqs() -> None:
    c = _client()
    c.handle("kizuna/v1/f/r1/events", _event(1))
    loss = {"type": "loss", "droppedEvents": 0, "droppedRequests": 0, "droppedTelemetry": 3, "droppedBytes": 300, "floorSeq": 5}
    body = json.loads(_event(5))
    body.pop("level")
    body.update(loss)
    c.handle("kizuna/v1/f/r1/events", json.dumps(body).encode())
    book = c.books.get("f", "r1", "e1")
    assert book is not None and (book.acked, book.lost) == (5, 3)


def test_payloads_naming_another_robot_are_reported_not_booked() -> None:
    c = _client()
    rejects: list[InboundReject] = []
    c.on_reject = rejects.append
    c.handle("kizuna/v1/f/r2/events", _event(1))
    assert [r.code.value for r in rejects] == ["ID_MISMATCH"]
    assert c.books.all() == []


def test_zero_length_messages_a_robot_clears_with_at_connect_are_ignored() -> None:
    c = _client()
    rejects: list[InboundReject] = []
    seen: list[object] = []
    c.on_reject = rejects.append
    c.on_event = lambda m, a: seen.append(m)
    c.on_state = seen.append
    c.on_request = lambda m: seen.append(m)
    for channel in ("state", "events", "decision/request"):
        c.handle(f"kizuna/v1/f/r1/{channel}", b"")
    c.handle("kizuna/v1/f/r1/events", _event(1))
    assert rejects == [] and c.rejected == []
    assert len(seen) == 1 and c.latest_state == {}
    book = c.books.get("f", "r1", "e1")
    assert book is not None and book.acked == 1


def test_requests_are_answered_once_on_the_requesters_own_topic() -> None:
    c = _client()
    asked: list[str] = []

    def on_request(req: Inbound) -> dict:
        asked.append(req.body["requestId"])
        return stop()

    c.on_request = on_request
    req = {"v": "1.1", "robotId": "r1", "requestId": "q1", "at": 1, "reason": "idle", "profile": "care"}
    for _ in range(2):
        c.handle("kizuna/v1/f/r1/decision/request", json.dumps(req).encode(), response_topic="kizuna/v1/f/r9/decision")
    assert asked == ["q1"]
    [outcome] = c.decisions.all()
    assert (outcome.fleet, outcome.robot, outcome.state) == ("f", "r1", "sent")


def test_options_are_checked() -> None:
    with pytest.raises(NationalError, match="shared subscriptions need MQTT 5"):
        NationalClient(ClientOptions(url="mqtt://x:1", client_id="t", protocol="3.1.1", share_group="g"))
    with pytest.raises(NationalError, match="KZN_ERR_TOPIC"):
        NationalClient(ClientOptions(url="mqtt://x:1", client_id="t", fleets=["bad fleet"]))
    with pytest.raises(NationalError, match="no Issuer"):
        NationalClient(ClientOptions(url="mqtt://x:1", client_id="t")).send("f", "r", stop())
