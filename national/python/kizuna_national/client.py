"""The national side's MQTT client: subscribe, check, keep books, acknowledge, send signed decisions.

Wiring only: decoding is :mod:`.inbound`, books :mod:`.books`, decisions :mod:`.decisions`,
outcomes :mod:`.tracker`. Callbacks run on paho's network thread; keep them short.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .books import Arrival, Books
from .decisions import Issuer, Kind
from .errors import ErrorCode, NationalError
from .inbound import Inbound, InboundReject, RetainedCleared, StatusCleared, decode
from .schema import Payload, schema_error
from .topics import DEFAULT_ROOT, Channel, Topics, check_id
from .tracker import DecisionOutcome, DecisionTracker

log = logging.getLogger("kizuna_national")

ACK_VERSION = "1.2"
DEFAULT_SESSION_EXPIRY_S = 8 * 24 * 3600
"""Persistent consumer sessions, kept as long as the shipped broker keeps them (8 days)."""


@dataclass
class ClientOptions:
    """How the national side connects and behaves. Every time is in seconds."""

    url: str
    """Broker, ``mqtt://host:port`` or ``mqtts://host:port``."""
    client_id: str
    """One fixed id per consumer: it names the persistent session (a second connection ends the first)."""
    fleets: list[str] = field(default_factory=lambda: ["+"])
    """Fleets to consume; ``["+"]``: all."""
    root: str = DEFAULT_ROOT
    protocol: str = "5"
    """``"5"`` (MQTT 5: clean start off, session expiry) or ``"3.1.1"`` (clean session off)."""
    session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S
    share_group: str | None = None
    """Consume through ``$share/<group>/...`` (MQTT 5). Books must then be shared by the group: see README."""
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30
    ack_interval_s: float = 0.15
    """At most one acknowledgement per robot this often (contract: every 100 to 200 ms is plenty)."""
    clear_stray_retained: bool = True
    """Try to clear a retained message found on a topic robots never retain (the shipped broker refuses a
    national account that; the robot clears its own at every connect, and the zero-length messages that
    does are ignored: contract, "Broker security")."""
    request_memory: int = 10_000
    """Decision request ids remembered for dedupe."""


Handler = Callable[[Inbound], None]


class NationalClient:
    """One national-side consumer and issuer. Use as a context manager or call :meth:`close`."""

    def __init__(self, options: ClientOptions, issuer: Issuer | None = None, books: Books | None = None) -> None:
        self.options = options
        self.issuer = issuer
        self.topics = Topics(options.root)
        self.books = books if books is not None else Books()
        self.decisions = DecisionTracker()
        self.rejected: list[InboundReject] = []
        """Robot messages refused (bounded to the last 1000)."""
        self.births: dict[tuple[str, str], int] = {}
        """Per (fleet, robot), the ``at`` of its latest birth."""
        self.latest_state: dict[tuple[str, str], dict[str, Any]] = {}
        self.acks_sent = 0
        self.decisions_sent = 0

        self.on_status: Handler | None = None
        self.on_state: Handler | None = None
        self.on_event: Callable[[Inbound, Arrival], None] | None = None
        """Called once per event (new, above a gap, or recovered), before it is put in the books."""
        self.on_request: Callable[[Inbound], Kind | None] | None = None
        """Returns the kind to answer a (first-seen) decision request with, or None for no answer."""
        self.on_birth: Handler | None = None
        """A robot's new connection (``online`` with an ``at`` not seen): re-send what is still wanted."""
        self.on_reject: Callable[[InboundReject], None] | None = None

        for fleet in options.fleets:
            if fleet != "+":
                check_id("fleet", fleet)
        if options.protocol not in ("5", "3.1.1"):
            raise NationalError(ErrorCode.CONNECT, f"protocol must be '5' or '3.1.1', got {options.protocol!r}")
        if options.share_group is not None and options.protocol != "5":
            raise NationalError(ErrorCode.CONNECT, "shared subscriptions need MQTT 5")
        self._v5 = options.protocol == "5"
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._requests: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._connected = threading.Event()
        self._connect_error: str | None = None
        self._stop = threading.Event()
        self._acker: threading.Thread | None = None
        self._mqtt = self._make_client()

    # ------------------------------------------------------------------------------------- lifecycle

    def _make_client(self) -> mqtt.Client:
        o = self.options
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=o.client_id,
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
            clean_session=None if self._v5 else False,
            manual_ack=True,
        )
        if o.username is not None:
            client.username_pw_set(o.username, o.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        return client

    def connect(self, timeout_s: float = 10.0) -> None:
        """Connects (persistent session), subscribes and starts acknowledging; raises KZN_ERR_CONNECT."""
        url = urlparse(self.options.url)
        if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
            raise NationalError(ErrorCode.CONNECT, f"broker URL {self.options.url!r}: use mqtt://host:port")
        if url.scheme == "mqtts":
            self._mqtt.tls_set()
        port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        props: Properties | None = None
        if self._v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.options.session_expiry_s
        try:
            self._mqtt.connect(
                url.hostname,
                port,
                keepalive=self.options.keepalive_s,
                clean_start=False if self._v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
                properties=props,
            )
        except OSError as err:
            raise NationalError(ErrorCode.CONNECT, f"cannot reach {self.options.url}: {err}") from err
        self._mqtt.loop_start()
        if not self._connected.wait(timeout_s):
            self._mqtt.loop_stop()
            why = self._connect_error or f"no CONNACK within {timeout_s} s"
            raise NationalError(ErrorCode.CONNECT, f"{self.options.url}: {why}")
        self._acker = threading.Thread(target=self._ack_loop, name="kizuna-national-acks", daemon=True)
        self._acker.start()

    def close(self) -> None:
        """Sends what acknowledgements are owed, then disconnects (the session stays on the broker)."""
        self._stop.set()
        if self._acker is not None:
            self._acker.join()
        self.flush_acks()
        self._mqtt.disconnect()
        self._mqtt.loop_stop()

    def __enter__(self) -> NationalClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._connect_error = f"connection refused: {reason}"
            log.error("kizuna_national: %s", self._connect_error)
            return
        # Subscriptions are renewed at every connect, also when the broker kept the session.
        filters = [f for fleet in self.options.fleets for f in self.topics.subscriptions(fleet, self.options.share_group)]
        client.subscribe([(f, 1) for f in filters])
        self._connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not self._stop.is_set():
            log.warning("kizuna_national: disconnected (%s); reconnecting", reason)

    # ------------------------------------------------------------------------------------- inbound

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self.handle(msg.topic, msg.payload, bool(msg.retain), *self._request_props(msg))
        except Exception:  # a callback must never take the network thread down
            log.exception("kizuna_national: handling %s failed", msg.topic)
        finally:
            # PUBACK once the message is in the books (contract, events/ack point 5).
            client.ack(msg.mid, msg.qos)

    def _request_props(self, msg: mqtt.MQTTMessage) -> tuple[str | None, bytes | None]:
        props = getattr(msg, "properties", None)
        if props is None:
            return None, None
        return getattr(props, "ResponseTopic", None), getattr(props, "CorrelationData", None)

    def handle(
        self,
        topic: str,
        payload: bytes,
        retained: bool = False,
        response_topic: str | None = None,
        correlation_data: bytes | None = None,
    ) -> None:
        """Processes one message as received from the broker (public for tests and other transports)."""
        decoded = decode(self.topics, topic, payload, retained, response_topic, correlation_data)
        with self._changed:
            if isinstance(decoded, InboundReject):
                self._reject(decoded)
            elif isinstance(decoded, StatusCleared):
                self.births.pop((decoded.topic.fleet, decoded.topic.robot), None)
            elif isinstance(decoded, RetainedCleared):
                pass  # the robot clearing a stray retained message at connect: nothing to act on
            elif decoded.channel is Channel.EVENTS:
                self._event(decoded)
            elif decoded.channel is Channel.STATUS:
                self._status(decoded)
            elif decoded.channel is Channel.STATE:
                self.latest_state[(decoded.fleet, decoded.robot)] = decoded.body
                self._call(self.on_state, decoded)
            elif decoded.channel is Channel.DECISION_REQUEST:
                self._request(decoded)
            self._changed.notify_all()

    def _reject(self, reject: InboundReject) -> None:
        log.warning("kizuna_national: refused %s: %s %s", reject.topic_text, reject.code.value, reject.message)
        self.rejected.append(reject)
        del self.rejected[:-1000]
        if reject.retained and reject.code.value == "RETAINED" and self.options.clear_stray_retained:
            self._mqtt.publish(reject.topic_text, b"", qos=1, retain=True)
        self._call(self.on_reject, reject)

    def _status(self, msg: Inbound) -> None:
        body = msg.body
        key = (msg.fleet, msg.robot)
        if body["status"] == "online" and self.births.get(key) != body["at"]:
            self.births[key] = body["at"]
            self._call(self.on_status, msg)
            self._call(self.on_birth, msg)
            return
        self._call(self.on_status, msg)

    def _event(self, msg: Inbound) -> None:
        body = msg.body
        book = self.books.book(msg.fleet, msg.robot, body.get("epoch"))
        arrival = book.classify(body["seq"])
        if arrival is not Arrival.DUPLICATE:
            self.decisions.on_event(msg.fleet, msg.robot, body)
            if self.on_event is not None:
                try:
                    self.on_event(msg, arrival)
                except Exception:
                    # Not acted on, so not in the books: the robot sends it again (never acknowledged).
                    log.exception("kizuna_national: on_event failed for %s seq %s", msg.topic, body["seq"])
                    book.dirty = True
                    return
        book.record(body["seq"])
        if body["type"] == "loss" and "floorSeq" in body:
            lost = book.apply_floor(body["floorSeq"])
            if lost:
                log.warning("kizuna_national: %s/%s lost %d events below seq %d", msg.fleet, msg.robot, lost, body["floorSeq"])

    def _request(self, msg: Inbound) -> None:
        key = (msg.fleet, msg.robot, msg.body["requestId"])
        if key in self._requests:
            return  # a re-send (at least once): answered already
        self._requests[key] = None
        while len(self._requests) > self.options.request_memory:
            self._requests.popitem(last=False)
        if self.on_request is None:
            return
        try:
            kind = self.on_request(msg)
        except Exception:
            log.exception("kizuna_national: on_request failed for %s", msg.topic)
            return
        if kind is not None:
            self.answer(msg, kind)

    def _call(self, handler: Callable[[Any], None] | None, arg: Any) -> None:
        if handler is None:
            return
        try:
            handler(arg)
        except Exception:
            log.exception("kizuna_national: handler %s failed", getattr(handler, "__name__", handler))

    # ------------------------------------------------------------------------------------- acks

    def _ack_loop(self) -> None:
        while not self._stop.wait(self.options.ack_interval_s):
            self.flush_acks()

    def flush_acks(self) -> int:
        """Publishes the acknowledgement owed to every robot whose events arrived since; returns how many."""
        with self._lock:
            owed = self.books.take_acks()
        now = int(time.time() * 1000)
        for key, seq in owed:
            ack = {"v": ACK_VERSION, "robotId": key.robot, "epoch": key.epoch, "seq": seq, "at": now}
            why = schema_error(Payload.ACK, ack)
            if why is not None:  # an invalid outbound message is a bug
                raise NationalError(ErrorCode.INBOUND, f"built an invalid ack: {why}")
            self._publish(self.topics.ack(key.fleet, key.robot), ack, expiry_s=None)
        self.acks_sent += len(owed)
        return len(owed)

    # ------------------------------------------------------------------------------------- decisions

    def _need_issuer(self) -> Issuer:
        if self.issuer is None:
            raise NationalError(ErrorCode.DECISION, "this client has no Issuer (no signing key): it cannot send decisions")
        return self.issuer

    def send(self, fleet: str, robot: str, kind: Kind, **kw: Any) -> dict[str, Any]:
        """Signs and publishes a decision on the robot's own topic; returns it (see Issuer.decision for ``kw``)."""
        decision = self._need_issuer().decision(fleet, robot, kind, **kw)
        self.publish_decision(decision)
        return decision

    def broadcast(self, fleet: str, kind: Kind, **kw: Any) -> dict[str, Any]:
        """Signs and publishes a decision for every robot of ``fleet`` (hold, stop, resume, set_speed_limit)."""
        decision = self._need_issuer().decision(fleet, "*", kind, **kw)
        self.publish_decision(decision)
        return decision

    def answer(self, request: Inbound, kind: Kind, **kw: Any) -> dict[str, Any]:
        """Answers a decision request on the requester's own decision topic, with its ``requestId``.

        Fleet and robot come from the request's topic, never its payload; a response topic naming any
        other topic is forged and not used (the answer still goes to the requester's own topic).
        """
        if request.channel is not Channel.DECISION_REQUEST:
            raise NationalError(ErrorCode.DECISION, f"{request.topic} is not a decision request")
        decision = self._need_issuer().decision(
            request.fleet, request.robot, kind, request_id=request.body["requestId"], **kw
        )
        own = self.topics.decision(request.fleet, request.robot)
        correlation = None
        if request.response_topic is not None:
            if request.response_topic == own:
                correlation = request.correlation_data
            else:
                log.warning(
                    "kizuna_national: request %s names response topic %r, not its own %r: forged, answered on its own",
                    request.body["requestId"],
                    request.response_topic,
                    own,
                )
        self.publish_decision(decision, correlation_data=correlation)
        return decision

    def publish_decision(self, decision: dict[str, Any], correlation_data: bytes | None = None) -> DecisionOutcome:
        """Publishes a signed decision (QoS 1, never retained) on the topic its ``fleetId``/``robotId`` name."""
        why = schema_error(Payload.DECISION, decision)
        if why is not None:
            raise NationalError(ErrorCode.DECISION, f"refusing to send an invalid decision: {why}")
        fleet, robot = decision["fleetId"], decision["robotId"]
        topic = self.topics.broadcast(fleet) if robot == "*" else self.topics.decision(fleet, robot)
        expiry_s = max(1, (decision["expiresAt"] - int(time.time() * 1000)) // 1000)
        with self._lock:
            outcome = self.decisions.sent(fleet, robot, decision)
            self.decisions_sent += 1
        self._publish(topic, decision, expiry_s=expiry_s, correlation_data=correlation_data)
        return outcome

    def _publish(
        self, topic: str, body: dict[str, Any], expiry_s: int | None, correlation_data: bytes | None = None
    ) -> None:
        props: Properties | None = None
        if self._v5:
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = "application/json"
            if expiry_s is not None:
                props.MessageExpiryInterval = expiry_s
            if correlation_data is not None:
                props.CorrelationData = correlation_data
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        info = self._mqtt.publish(topic, payload, qos=1, retain=False, properties=props)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise NationalError(ErrorCode.CONNECT, f"publish to {topic} failed: {mqtt.error_string(info.rc)}")

    # ------------------------------------------------------------------------------------- waiting

    def wait_for(self, what: str, predicate: Callable[[], bool], timeout_s: float) -> None:
        """Waits until ``predicate()`` holds (checked after every message); raises KZN_ERR_TIMEOUT."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NationalError(ErrorCode.TIMEOUT, f"timed out after {timeout_s} s waiting for {what}")
                self._changed.wait(min(left, 0.5))

    def wait_outcome(self, decision_id: str, timeout_s: float) -> DecisionOutcome:
        """Waits until the decision reaches a terminal state; returns its outcome."""

        def done() -> bool:
            outcome = self.decisions.get(decision_id)
            return outcome is not None and outcome.done

        self.wait_for(f"the outcome of {decision_id}", done, timeout_s)
        found = self.decisions.get(decision_id)
        assert found is not None
        return found
