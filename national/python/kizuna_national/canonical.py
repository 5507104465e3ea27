"""Canonical JSON as the contract signs it: RFC 8785 (JSON Canonicalization Scheme).

docs/contract.md, "Signing", step 2: no whitespace; object members sorted by key as UTF-16 code
units; strings escaped only where JSON requires it (``"``, ``\\``, control characters); numbers in
ECMAScript's shortest round-trip form (``4`` never ``4.0``, ``1e-7`` never ``1e-07``, ``1e+21``).
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ErrorCode, NationalError

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer magnitude the contract allows in a decision (robots reject larger: NUMBER_OUT_OF_RANGE)."""

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canonical_json(value: Any) -> str:
    """Returns the RFC 8785 text of ``value`` (dicts, lists, str, int, float, bool, None)."""
    parts: list[str] = []
    _encode(value, parts, "$")
    return "".join(parts)


def canonical_bytes(value: Any) -> bytes:
    """Returns the UTF-8 bytes of :func:`canonical_json`: what an Ed25519 signature covers."""
    return canonical_json(value).encode("utf-8")


def _encode(value: Any, out: list[str], path: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NationalError(ErrorCode.CANONICAL, f"{path}: integer {value} is beyond 2^53 - 1")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format_number(value, path))
    elif isinstance(value, str):
        out.append(_string(value, path))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise NationalError(ErrorCode.CANONICAL, f"{path}: object key {key!r} is not a string")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_units)):
            if i:
                out.append(",")
            out.append(_string(key, path))
            out.append(":")
            _encode(value[key], out, f"{path}.{key}")
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, f"{path}[{i}]")
        out.append("]")
    else:
        raise NationalError(ErrorCode.CANONICAL, f"{path}: {type(value).__name__} is not a JSON value")


def _utf16_units(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly as the sequences of UTF-16 code units do.
    return key.encode("utf-16-be", "surrogatepass")


def _string(text: str, path: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise NationalError(ErrorCode.CANONICAL, f"{path}: lone surrogate U+{code:04X} is not UTF-8")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_number(value: float, path: str = "$") -> str:
    """Returns ECMAScript's Number.prototype.toString of a finite float (what RFC 8785 prescribes)."""
    if not math.isfinite(value):
        raise NationalError(ErrorCode.CANONICAL, f"{path}: {value} is not a finite number (not JSON)")
    if value == 0:
        return "0"  # also -0.0
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that read back to the same double; only the layout differs from ES.
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    # Position of the decimal point relative to the first significant digit (ES's "n").
    n = len(int_part.lstrip("0")) + (int(exp_text) if exp_text else 0)
    if not int_part.lstrip("0"):
        n -= len(frac_part) - len(frac_part.lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exponent = n - 1
    exp_sign = "+" if exponent >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{exp_sign}{abs(exponent)}"
