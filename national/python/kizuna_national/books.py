"""Books of each robot's event stream (docs/contract.md, "events/ack", points 1 to 4).

One :class:`Book` per (fleet, robot, epoch): the acknowledged seq (everything up to it received or
declared lost), the seqs received above it, and counts. Pure logic: no MQTT, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class StreamKey(NamedTuple):
    """One event stream: a robot of a fleet in one epoch (None: a 1.1 robot, which has no epoch)."""

    fleet: str
    robot: str
    epoch: str | None


class Arrival(str, Enum):
    """What an arriving event is to the books."""

    NEW = "new"
    """Not seen before, next in order: act on it."""
    NEW_ABOVE_GAP = "new_above_gap"
    """Not seen before, with seqs missing below it (late so far, not lost): act on it."""
    RECOVERED = "recovered"
    """Counted lost by a floorSeq, yet it arrived (possible only across consumers): act on it."""
    DUPLICATE = "duplicate"
    """Seen (or declared lost) before: a re-send; do not act on it again, but acknowledge."""


@dataclass
class Book:
    """The books of one stream. ``acked`` starts at 0 whatever seq the first event has."""

    key: StreamKey
    acked: int = 0
    above: set[int] = field(default_factory=set)
    received: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    lost: int = 0
    late_after_lost: int = 0
    declared_lost: set[int] = field(default_factory=set)
    dirty: bool = False
    """Events arrived since the last acknowledgement was sent (new ones or duplicates)."""
    last_sent_ack: int | None = None

    def classify(self, seq: int) -> Arrival:
        """Returns what ``seq`` is, without changing the books."""
        if seq in self.declared_lost:
            return Arrival.RECOVERED
        if seq <= self.acked or seq in self.above:
            return Arrival.DUPLICATE
        return Arrival.NEW if seq == self.acked + 1 else Arrival.NEW_ABOVE_GAP

    def record(self, seq: int) -> Arrival:
        """Puts ``seq`` in the books (after it was stored or acted on) and returns what it was."""
        if seq < 1:
            raise ValueError(f"seq starts at 1, got {seq}")
        arrival = self.classify(seq)
        self.dirty = True
        if arrival is Arrival.RECOVERED:
            self.declared_lost.discard(seq)
            self.lost -= 1
            self.late_after_lost += 1
            self.received += 1
            return arrival
        if arrival is Arrival.DUPLICATE:
            self.duplicates += 1
            return arrival
        self.received += 1
        if arrival is Arrival.NEW_ABOVE_GAP:
            self.out_of_order += 1
        self.above.add(seq)
        self._advance()
        return arrival

    def apply_floor(self, floor_seq: int) -> int:
        """Applies a loss event's ``floorSeq``: seqs below it still missing are lost. Returns how many."""
        newly = 0
        for seq in range(self.acked + 1, floor_seq):
            if seq not in self.above:
                self.declared_lost.add(seq)
                newly += 1
        self.lost += newly
        if floor_seq - 1 > self.acked:
            self.above = {s for s in self.above if s >= floor_seq}
            self.acked = floor_seq - 1
        self._advance()
        self.dirty = True
        return newly

    def missing(self, limit: int = 100) -> list[int]:
        """Returns up to ``limit`` seqs missing so far (between ``acked`` and the highest received)."""
        if not self.above:
            return []
        top = max(self.above)
        out: list[int] = []
        for seq in range(self.acked + 1, top):
            if seq not in self.above:
                out.append(seq)
                if len(out) >= limit:
                    break
        return out

    def take_ack(self) -> int | None:
        """Returns the seq to acknowledge now when events arrived since the last ack (and clears that), else None."""
        if not self.dirty or self.key.epoch is None:
            return None
        self.dirty = False
        self.last_sent_ack = self.acked
        return self.acked

    def _advance(self) -> None:
        while self.acked + 1 in self.above:
            self.acked += 1
            self.above.discard(self.acked)


@dataclass(frozen=True)
class BookTotals:
    """Counts over every book: what a national side reports about delivery."""

    streams: int
    received: int
    acknowledged: int
    duplicates: int
    out_of_order: int
    lost: int
    pending_gaps: int


class Books:
    """Every stream's book, in memory. One place per consumer group (see README, shared subscriptions)."""

    def __init__(self) -> None:
        self._books: dict[StreamKey, Book] = {}

    def book(self, fleet: str, robot: str, epoch: str | None) -> Book:
        """Returns the book of the stream, new (acknowledged 0) when this epoch was never seen."""
        key = StreamKey(fleet, robot, epoch)
        found = self._books.get(key)
        if found is None:
            found = self._books[key] = Book(key)
        return found

    def get(self, fleet: str, robot: str, epoch: str | None) -> Book | None:
        """Returns the book of the stream, or None when none of its events arrived."""
        return self._books.get(StreamKey(fleet, robot, epoch))

    def all(self) -> list[Book]:
        """Returns every book."""
        return list(self._books.values())

    def take_acks(self) -> list[tuple[StreamKey, int]]:
        """Returns (stream, seq) for every book owed an acknowledgement now."""
        out: list[tuple[StreamKey, int]] = []
        for book in self._books.values():
            seq = book.take_ack()
            if seq is not None:
                out.append((book.key, seq))
        return out

    def totals(self) -> BookTotals:
        """Returns counts over every book."""
        books = self._books.values()
        return BookTotals(
            streams=len(self._books),
            received=sum(b.received for b in books),
            acknowledged=sum(b.acked for b in books),
            duplicates=sum(b.duplicates for b in books),
            out_of_order=sum(b.out_of_order for b in books),
            lost=sum(b.lost for b in books),
            pending_gaps=sum(len(b.missing(limit=1 << 30)) for b in books),
        )
