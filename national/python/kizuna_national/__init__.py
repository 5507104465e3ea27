"""kizuna_national: the national side of the kizuna MQTT contract (docs/contract.md), in Python.

Quick start (see national/python/README.md)::

    from kizuna_national import ClientOptions, Issuer, NationalClient, Signer, navigate_to, pose

    client = NationalClient(ClientOptions(url="mqtt://127.0.0.1:1883", client_id="national-1"),
                            Issuer(Signer.from_seed("national-2026-a", seed)))
    client.on_request = lambda req: navigate_to(pose(5, 3))
    client.connect()
"""

from .books import Arrival, Book, Books, BookTotals, StreamKey
from .canonical import canonical_bytes, canonical_json, format_number
from .client import ClientOptions, NationalClient
from .decisions import (
    Issuer,
    dock,
    hold,
    navigate_to,
    new_decision_id,
    perform_task,
    pose,
    resume,
    set_speed_limit,
    stop,
)
from .errors import ErrorCode, NationalError
from .inbound import Inbound, InboundReject, RejectCode, decode
from .schema import Payload, contract_version, schema_error
from .signing import Signer, decode_public_key, read_trusted_keys, verify_decision, write_trusted_keys
from .topics import Channel, Topic, Topics
from .tracker import BridgeReject, DecisionOutcome, DecisionTracker

__all__ = [
    "Arrival",
    "Book",
    "BookTotals",
    "Books",
    "BridgeReject",
    "Channel",
    "ClientOptions",
    "DecisionOutcome",
    "DecisionTracker",
    "ErrorCode",
    "Inbound",
    "InboundReject",
    "Issuer",
    "NationalClient",
    "NationalError",
    "Payload",
    "RejectCode",
    "Signer",
    "StreamKey",
    "Topic",
    "Topics",
    "canonical_bytes",
    "canonical_json",
    "contract_version",
    "decode",
    "decode_public_key",
    "dock",
    "format_number",
    "hold",
    "navigate_to",
    "new_decision_id",
    "perform_task",
    "pose",
    "read_trusted_keys",
    "resume",
    "schema_error",
    "set_speed_limit",
    "stop",
    "verify_decision",
    "write_trusted_keys",
]
