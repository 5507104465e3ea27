"""Canonical JSON (RFC 8785) as docs/contract.md, "Signing", step 2 prescribes."""

from __future__ import annotations

import json

import pytest

from kizuna_national import NationalError, canonical_bytes, canonical_json, format_number


def test_reproduces_the_contract_test_vector_byte_for_byte(doc) -> None:
    decision = json.loads(doc.block_after("Decision before signing"))
    text = doc.block_after("<!-- vector: canonical -->")
    assert canonical_json(decision) == text
    assert len(canonical_bytes(decision)) == 274  # "274 bytes of UTF-8"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.5, "12.5"),
        (-3.25, "-3.25"),
        (0.6, "0.6"),
        (4.0, "4"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (0.0001, "0.0001"),
        (1e30, "1e+30"),
        (4.5, "4.5"),
        (2e-3, "0.002"),
        (1e-27, "1e-27"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (333333333.3333333, "333333333.3333333"),
        (0.30000000000000004, "0.30000000000000004"),
        (123456789012345680.0, "123456789012345680"),
    ],
)
def test_numbers_take_ecmascript_shortest_form(value: float, text: str) -> None:
    assert format_number(value) == text
    assert float(text) == value


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(bad: float) -> None:
    with pytest.raises(NationalError, match="KZN_ERR_CANONICAL"):
        canonical_json({"x": bad})


def test_integers_beyond_2_53_are_refused_as_robots_refuse_them() -> None:
    assert canonical_json(2**53 - 1) == "9007199254740991"
    with pytest.raises(NationalError, match="beyond 2\\^53"):
        canonical_json({"priority": 2**53})


def test_members_sorted_by_utf16_code_units_and_nested() -> None:
    # U+1F600 (surrogates D83D DE00) sorts before U+FB33 though its code point is larger (RFC 8785 §3.2.3).
    value = {"\ufb33": 1, "\U0001f600": 2, "\u20ac": 0, "b": [3, {"z": None, "a": True}], "a": False}
    assert canonical_json(value) == '{"a":false,"b":[3,{"a":true,"z":null}],"\u20ac":0,"\U0001f600":2,"\ufb33":1}'


def test_strings_escape_only_what_json_requires() -> None:
    assert canonical_json('a"b\\c/d\u00e9\n\t\x01\x1f') == '"a\\"b\\\\c/d\u00e9\\n\\t\\u0001\\u001f"'


def test_whitespace_free_and_stable_against_json_dumps_for_contract_payloads(doc) -> None:
    for decision in doc.examples("decision"):
        assert canonical_json(decision) == json.dumps(decision, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_values_that_are_not_json_are_refused() -> None:
    with pytest.raises(NationalError, match="not a JSON value"):
        canonical_json({"x": {1, 2}})
    with pytest.raises(NationalError, match="not a string"):
        canonical_json({1: "x"})
    with pytest.raises(NationalError, match="surrogate"):
        canonical_json("\ud800")
