"""An example planner: ``python -m kizuna_national.example --url URL --key-seed-hex HEX ...``.

Answers every robot's decision requests, cycling it through the given waypoints (``navigate_to``,
then ``remind_medication`` there when the robot announces that task), one decision in flight per
robot; acknowledges every event; on SIGINT/SIGTERM writes a JSON report and exits.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from .client import ClientOptions, NationalClient
from .decisions import Issuer, Kind, navigate_to, perform_task, pose, set_speed_limit
from .inbound import Inbound
from .signing import Signer


class ExamplePlanner:
    """Round-robin over waypoints per robot; pure policy, the client does the rest."""

    def __init__(self, client: NationalClient, waypoints: list[tuple[float, float, float]], max_speed: float) -> None:
        self.client = client
        self.waypoints = waypoints
        self.max_speed = max_speed
        self.step: Counter[tuple[str, str]] = Counter()
        self.in_flight: dict[tuple[str, str], str] = {}
        self.capabilities: dict[tuple[str, str], list[str]] = {}
        client.on_birth = self.on_birth
        client.on_request = self.on_request

    def on_birth(self, status: Inbound) -> None:
        """A robot (re)connected: note what it can do, and cap its speed."""
        key = (status.fleet, status.robot)
        self.capabilities[key] = list(status.body.get("capabilities", []))
        self.in_flight.pop(key, None)
        cap = min(self.max_speed, float(status.body.get("maxSpeed", self.max_speed)))
        self.client.send(status.fleet, status.robot, set_speed_limit(cap), priority=120)

    def on_request(self, request: Inbound) -> Kind | None:
        """Returns the robot's next decision, or None while its last one is still under way."""
        key = (request.fleet, request.robot)
        busy = self.in_flight.get(key)
        if busy is not None:
            outcome = self.client.decisions.get(busy)
            if outcome is not None and not outcome.done:
                return None
        n = self.step[key]
        self.step[key] += 1
        x, y, yaw = self.waypoints[(n // 2) % len(self.waypoints)]
        kind: Kind
        if n % 2 == 1 and "perform_task:remind_medication" in self.capabilities.get(key, []):
            kind = perform_task("care", "remind_medication", {"room": pose(x, y, yaw), "reminder_id": f"rem-{n}"})
        else:
            kind = navigate_to(pose(x, y, yaw), max_speed=self.max_speed)
        # Answered here rather than returned, to remember the decision's id.
        self.in_flight[key] = self.client.answer(request, kind, priority=100)["decisionId"]
        return None


def report(client: NationalClient) -> dict[str, Any]:
    """Returns what the national side saw: decisions by outcome, rejections, event delivery."""
    totals = client.books.totals()
    ours = [o for o in client.decisions.all() if o.sent_by_us]
    return {
        "decisionsSent": client.decisions_sent,
        "outcomes": dict(Counter(f"{o.kind}:{o.state}" for o in ours)),
        "rejected": dict(Counter(f"{o.by}:{o.reason}" for o in ours if o.state == "rejected")),
        "tasksSucceeded": sum(1 for o in ours if o.state == "succeeded" and o.kind in ("navigate_to", "perform_task", "dock")),
        "events": {
            "streams": totals.streams,
            "received": totals.received,
            "duplicates": totals.duplicates,
            "outOfOrder": totals.out_of_order,
            "lost": totals.lost,
            "pendingGaps": totals.pending_gaps,
            "acksSent": client.acks_sent,
        },
        "books": [
            {"fleet": b.key.fleet, "robot": b.key.robot, "epoch": b.key.epoch, "acked": b.acked, "missing": b.missing(10)}
            for b in client.books.all()
        ],
        "inboundRejected": dict(Counter(r.code.value for r in client.rejected)),
    }


def _waypoints(text: str) -> list[tuple[float, float, float]]:
    out: list[tuple[float, float, float]] = []
    for item in text.split(";"):
        parts = [float(p) for p in item.split(",")]
        if len(parts) not in (2, 3):
            raise argparse.ArgumentTypeError(f"waypoint {item!r}: x,y or x,y,yaw")
        out.append((parts[0], parts[1], parts[2] if len(parts) == 3 else 0.0))
    return out


def main(argv: list[str] | None = None) -> int:
    """Runs the example planner until SIGINT/SIGTERM; returns the exit status."""
    ap = argparse.ArgumentParser(prog="python -m kizuna_national.example", description=__doc__)
    ap.add_argument("--url", required=True, help="broker, mqtt://host:port")
    ap.add_argument("--client-id", default="kizuna-national-example")
    ap.add_argument("--fleet", action="append", help="fleet to serve (repeatable; default all)")
    ap.add_argument("--protocol", choices=["5", "3.1.1"], default="5")
    ap.add_argument("--key-id", required=True)
    key = ap.add_mutually_exclusive_group(required=True)
    key.add_argument("--key-seed-hex", help="raw 32-byte Ed25519 private key seed, hex")
    key.add_argument("--key-pem", type=Path, help="PKCS#8 PEM private key file")
    ap.add_argument("--waypoints", type=_waypoints, required=True, help="x,y[,yaw];x,y[,yaw];... in the map frame [m, rad]")
    ap.add_argument("--max-speed", type=float, default=0.5, help="[m/s]")
    ap.add_argument("--report", type=Path, help="write the JSON report here at exit (else stdout)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")

    if args.key_seed_hex:
        signer = Signer.from_seed(args.key_id, bytes.fromhex(args.key_seed_hex))
    else:
        signer = Signer.from_pem(args.key_id, args.key_pem.read_bytes())
    options = ClientOptions(url=args.url, client_id=args.client_id, fleets=args.fleet or ["+"], protocol=args.protocol)
    client = NationalClient(options, Issuer(signer))
    ExamplePlanner(client, args.waypoints, args.max_speed)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    client.connect()
    print(f"kizuna_national.example: connected to {args.url} as {args.client_id}", file=sys.stderr, flush=True)
    done.wait()
    client.close()
    text = json.dumps(report(client), indent=2)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
