"""bench._deliveries: what subscribers received, held against what the store changed."""

from __future__ import annotations

from bench._deliveries import (
    Message,
    Window,
    expected,
    first_latencies,
    latencies,
    summary,
    tally,
    upstream_calls,
)

T0, T1, T2, T3 = (f"2026-12-01T12:00:0{s}.000Z" for s in range(4))

# Before: a and b at T0 (the window starts after T0). After: a moved to T2, b deleted, c created.
WINDOW = Window(before={"a": T0, "b": T0}, after={"a": T2, "c": T1})
COMPLETE: list[Message] = [
    ("UPDATED", "a", T2, 0.0),
    ("CREATED", "c", T1, 0.0),
    ("DELETED", "b", None, 0.0),
]


def test_the_store_and_the_union_of_receipts_make_the_expected_changes() -> None:
    intermediate: list[Message] = [("UPDATED", "a", T1, 0.0), *COMPLETE]
    assert expected(WINDOW, [COMPLETE, intermediate]) == {
        ("a", T1),
        ("a", T2),
        ("c", T1),
        ("b", None),
    }


def test_every_subscriber_with_every_change_loses_nothing() -> None:
    result = tally(WINDOW, [COMPLETE, COMPLETE])
    assert (result.changes, result.expected, result.delivered) == (3, 6, 6)
    assert (result.lost, result.coalesced, result.duplicated, result.differing) == (0, 0, 0, 0)


def test_a_change_missing_is_lost_unless_a_later_state_came() -> None:
    intermediate: list[Message] = [("UPDATED", "a", T1, 0.0), *COMPLETE]
    without_deletion = COMPLETE[:2]
    result = tally(WINDOW, [intermediate, COMPLETE, without_deletion])
    # COMPLETE lacks a@T1 but has a@T2: coalesced; without_deletion lacks both a@T1 (coalesced)
    # and b's deletion (lost).
    assert (result.coalesced, result.lost, result.differing) == (2, 1, 2)


def test_a_message_received_twice_is_duplicated() -> None:
    result = tally(WINDOW, [[*COMPLETE, COMPLETE[0], COMPLETE[2]]])
    assert (result.duplicated, result.delivered) == (2, 3)


def test_changes_outside_the_window_are_not_expected() -> None:
    early: list[Message] = [("UPDATED", "a", T0, 0.0), *COMPLETE, ("UPDATED", "a", T3, 0.0)]
    result = tally(WINDOW, [early])
    assert (result.changes, result.delivered, result.duplicated) == (3, 3, 0)


def test_an_event_created_and_deleted_in_the_window_is_expected_gone() -> None:
    brief: list[Message] = [*COMPLETE, ("CREATED", "d", T1, 0.0), ("DELETED", "d", None, 0.0)]
    assert {("d", T1), ("d", None)} <= expected(WINDOW, [brief])
    assert tally(WINDOW, [brief, COMPLETE]).lost == 2


def test_kinds_are_checked_against_what_the_subscriber_had_heard() -> None:
    wrong: list[Message] = [
        ("CREATED", "a", T1, 0.0),  # first news of `a`: a CREATED is believable
        ("CREATED", "a", T2, 0.0),  # created twice
        ("UPDATED", "c", T1, 0.0),  # c did not exist at the start, and no CREATED came
    ]
    assert tally(WINDOW, [wrong]).wrong_kind == 2
    assert tally(WINDOW, [COMPLETE]).wrong_kind == 0


def test_latency_is_receipt_minus_the_stamp_for_updates_in_the_window() -> None:
    stamp = 1796126401.0  # T1 as epoch seconds
    received: list[Message] = [
        ("CREATED", "c", T1, stamp + 0.25),
        ("UPDATED", "a", T0, stamp + 9.0),  # before the window
        ("DELETED", "b", None, stamp + 9.0),  # no stamp
    ]
    assert latencies(WINDOW, [received]) == [0.25]
    later: list[Message] = [("CREATED", "c", T1, stamp + 0.75)]
    assert latencies(WINDOW, [received, later]) == [0.25, 0.75]
    assert first_latencies(WINDOW, [later, received]) == [0.25]
    assert summary([0.1, 0.2, 0.3]) == (200.0, 300.0, 300.0)
    assert summary([]) == (0.0, 0.0, 0.0)


def test_upstream_calls_by_endpoint_but_the_ignored() -> None:
    log = b"\n".join(
        [
            b'INFO: 127.0.0.1:1 - "GET /workstream_events/identifiers?updated_from=x&y=1 '
            b'HTTP/1.1" 200 OK',
            b'INFO: 127.0.0.1:1 - "GET /workstream_events/identifiers HTTP/1.1" 200 OK',
            b'INFO: 127.0.0.1:1 - "POST /workstream_events/batch/fetch HTTP/1.1" 200 OK',
            b'INFO: 127.0.0.1:1 - "GET /workstream_event/a%2Fb HTTP/1.1" 200 OK',
            b'INFO: 127.0.0.1:1 - "POST /workstream_event/update HTTP/1.1" 200 OK',
            b'INFO: 127.0.0.1:1 - "GET /workstream_events HTTP/1.1" 200 OK',
        ]
    )
    assert upstream_calls(log, ignore=["GET /workstream_events"]) == {
        "GET /workstream_events/identifiers?updated_from": 1,
        "GET /workstream_events/identifiers": 1,
        "POST /workstream_events/batch/fetch": 1,
        "GET /workstream_event/{id}": 1,
        "POST /workstream_event/update": 1,
    }
