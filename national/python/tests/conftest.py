"""Shared fixtures: docs/contract.md, the one source of the test vector and examples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
CONTRACT_MD = REPO / "docs" / "contract.md"


class ContractDoc:
    """docs/contract.md, read the way a national-side team reads it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def block_after(self, marker: str) -> str:
        """Returns the fenced block that follows ``marker``."""
        at = self.text.index(marker)
        m = re.compile(r"```\w*\n(.*?)\n```", re.S).search(self.text, at)
        assert m is not None, f"no fenced block after {marker!r}"
        return m.group(1)

    def examples(self, payload: str) -> list[dict[str, Any]]:
        """Returns every ``<!-- example: payload -->`` block, parsed."""
        out = []
        for m in re.finditer(rf"<!-- example: {payload} -->\s*```json\n(.*?)\n```", self.text, re.S):
            out.append(json.loads(m.group(1)))
        assert out, f"no examples of {payload}"
        return out

    def field(self, pattern: str) -> str:
        """Returns the first group of ``pattern`` in the document."""
        m = re.search(pattern, self.text)
        assert m is not None, pattern
        return m.group(1)


@pytest.fixture(scope="session")
def doc() -> ContractDoc:
    return ContractDoc(CONTRACT_MD.read_text(encoding="utf-8"))
