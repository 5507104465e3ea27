"""The contract's JSON Schemas, as ``kizuna contract --out`` exports them, compiled once per payload.

The files under ``contract/schemas/`` are generated (see contract/GENERATED.md), never edited by hand.
"""

from __future__ import annotations

import json
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


class Payload(str, Enum):
    """The contract's payloads, by their schema file's name."""

    STATUS = "status"
    STATE = "state"
    EVENT = "event"
    DECISION_REQUEST = "decision_request"
    DECISION = "decision"
    ACK = "ack"
    TRUSTED_KEYS = "trusted_keys"


def schema_document(payload: Payload) -> dict[str, Any]:
    """Returns the JSON Schema document of ``payload`` as exported by the contract."""
    path = resources.files(__package__) / "contract" / "schemas" / f"{payload.value}.schema.json"
    text = path.read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@lru_cache(maxsize=None)
def validator(payload: Payload) -> Draft202012Validator:
    """Returns the compiled validator of ``payload`` (built once)."""
    doc = schema_document(payload)
    Draft202012Validator.check_schema(doc)
    return Draft202012Validator(doc)


def schema_error(payload: Payload, message: Any) -> str | None:
    """Returns why ``message`` is not a valid ``payload`` (naming the field), or None when it is valid."""
    errors = sorted(validator(payload).iter_errors(message), key=lambda e: (len(e.absolute_path), e.message))
    if not errors:
        return None
    err = _closest(errors[0])
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    return f"{where}: {err.message}"


def _closest(err: ValidationError) -> ValidationError:
    # A oneOf (events by `type`, decision kinds) fails in every branch: report the branch whose `type`
    # matched, the way a reader would ("safety event: reason ..."), not "valid under none".
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return err
    branches: dict[Any, list[ValidationError]] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def rank(errors: list[ValidationError]) -> tuple[int, int]:
        type_failed = any(list(e.relative_path) == ["type"] for e in errors)
        return (1 if type_failed else 0, len(errors))

    best = min(branches.values(), key=rank)
    return _closest(best[0])


def contract_version() -> str:
    """Returns the contract version the bundled schemas are of (``"1.3"``)."""
    title = str(schema_document(Payload.ACK).get("title", ""))
    return title.rsplit(" ", 1)[-1]
