"""Books per (fleet, robot, epoch): docs/contract.md, "events/ack", points 1 to 4."""

from __future__ import annotations

from kizuna_national import Arrival, Books


def test_in_order_events_advance_the_acknowledged_seq() -> None:
    book = Books().book("tokyo-1", "care-007", "e1")
    assert [book.record(s) for s in (1, 2, 3)] == [Arrival.NEW] * 3
    assert (book.acked, book.above, book.received) == (3, set(), 3)
    assert book.take_ack() == 3
    assert book.take_ack() is None  # nothing arrived since


def test_duplicates_are_dropped_but_still_acknowledged() -> None:
    book = Books().book("f", "r", "e1")
    for s in (1, 2):
        book.record(s)
    book.take_ack()
    assert book.classify(2) is Arrival.DUPLICATE
    assert book.record(2) is Arrival.DUPLICATE
    assert (book.received, book.duplicates) == (2, 1)
    # The robot re-sent because it did not get our ack: acknowledge again.
    assert book.take_ack() == 2


def test_a_gap_is_late_not_lost_and_the_ack_never_passes_it() -> None:
    book = Books().book("f", "r", "e1")
    book.record(1)
    assert book.record(4) is Arrival.NEW_ABOVE_GAP
    assert book.record(3) is Arrival.NEW_ABOVE_GAP
    assert book.missing() == [2]
    assert book.take_ack() == 1
    assert book.lost == 0
    assert book.record(2) is Arrival.NEW  # the re-send closes the gap
    assert (book.acked, book.missing(), book.out_of_order) == (4, [], 2)
    assert book.take_ack() == 4


def test_books_of_a_new_epoch_start_at_zero_whatever_the_first_seq() -> None:
    book = Books().book("f", "r", "e2")
    assert book.record(41) is Arrival.NEW_ABOVE_GAP
    assert book.acked == 0
    assert book.take_ack() == 0  # a robot that no longer holds 1..40 answers with a floorSeq


def test_floor_seq_counts_what_is_still_missing_below_it_as_lost() -> None:
    book = Books().book("f", "r", "e1")
    for s in (1, 2, 5, 7):
        book.record(s)
    book.record(9)  # the loss event itself
    assert book.apply_floor(6) == 2  # 3 and 4 lost; 5 was received
    assert book.acked == 5  # past the floor (3, 4 lost), then through 5; 6 is missing and above the floor
    assert book.missing() == [6, 8]
    assert book.lost == 2


def test_floor_seq_passes_seqs_below_it_then_continues_through_received_ones() -> None:
    book = Books().book("f", "r", "e1")
    book.record(20)
    book.record(21)
    assert book.apply_floor(20) == 19
    assert (book.acked, book.lost) == (21, 19)


def test_an_event_counted_lost_that_arrives_after_all_is_received() -> None:
    book = Books().book("f", "r", "e1")
    book.record(3)
    book.apply_floor(3)
    assert book.classify(2) is Arrival.RECOVERED
    assert book.record(2) is Arrival.RECOVERED
    assert (book.lost, book.late_after_lost, book.received) == (1, 1, 2)
    assert book.record(2) is Arrival.DUPLICATE


def test_streams_are_per_fleet_robot_and_epoch() -> None:
    books = Books()
    books.book("f", "r", "e1").record(1)
    # seq 1 again in a new epoch is a new stream, never a duplicate of the old one
    assert books.book("f", "r", "e2").record(1) is Arrival.NEW
    assert books.book("g", "r", "e1").record(1) is Arrival.NEW
    assert sorted((k.fleet, k.epoch, s) for k, s in books.take_acks()) == [("f", "e1", 1), ("f", "e2", 1), ("g", "e1", 1)]
    totals = books.totals()
    assert (totals.streams, totals.received, totals.lost, totals.pending_gaps) == (3, 3, 0, 0)


def test_a_1_1_robot_without_epoch_has_books_but_gets_no_acks() -> None:
    books = Books()
    book = books.book("f", "r", None)
    book.record(1)
    assert books.take_acks() == []
    assert book.acked == 1
