"""The schedule of time-driven events: due order, ties, cancelling, re-entry."""

from __future__ import annotations

import datetime as _dt
import weakref

import pytest

from kms_mock._schedule import EventAction, Schedule, ScheduledEvent

T0 = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


def at(days: float) -> _dt.datetime:
    return T0 + _dt.timedelta(days=days)


class Log:
    """Actions that write (name, the date they were given) to one shared list."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, _dt.datetime]] = []

    def action(self, name: str) -> EventAction:
        def run(when: _dt.datetime) -> None:
            self.entries.append((name, when))

        return run


@pytest.fixture
def log() -> Log:
    return Log()


def test_nothing_due_runs_nothing(log: Log) -> None:
    schedule = Schedule()
    schedule.add(at(2), log.action("later"))
    assert schedule.run_until(at(1)) == 0
    assert log.entries == []
    assert len(schedule) == 1


def test_applied_in_due_order_with_their_own_dates(log: Log) -> None:
    schedule = Schedule()
    schedule.add(at(3), log.action("c"))
    schedule.add(at(1), log.action("a"))
    schedule.add(at(2), log.action("b"))
    assert schedule.run_until(at(10)) == 3
    assert log.entries == [("a", at(1)), ("b", at(2)), ("c", at(3))]
    assert len(schedule) == 0


def test_due_exactly_now_is_applied(log: Log) -> None:
    schedule = Schedule()
    schedule.add(at(1), log.action("a"))
    assert schedule.run_until(at(1) - _dt.timedelta(microseconds=1)) == 0
    assert schedule.run_until(at(1)) == 1
    assert log.entries == [("a", at(1))]


def test_only_what_is_due(log: Log) -> None:
    schedule = Schedule()
    for day in (1, 2, 3, 4):
        schedule.add(at(day), log.action(f"d{day}"))
    assert schedule.run_until(at(2.5)) == 2
    assert [name for name, _ in log.entries] == ["d1", "d2"]
    assert len(schedule) == 2
    assert schedule.run_until(at(4)) == 2
    assert [name for name, _ in log.entries] == ["d1", "d2", "d3", "d4"]


def test_ties_in_insertion_order(log: Log) -> None:
    schedule = Schedule()
    for name in ("first", "second", "third"):
        schedule.add(at(1), log.action(name))
    schedule.add(at(0.5), log.action("earlier"))
    schedule.run_until(at(1))
    assert [name for name, _ in log.entries] == ["earlier", "first", "second", "third"]


def test_each_event_runs_once(log: Log) -> None:
    schedule = Schedule()
    schedule.add(at(1), log.action("a"))
    schedule.run_until(at(2))
    assert schedule.run_until(at(3)) == 0
    assert log.entries == [("a", at(1))]


def test_cancelled_events_are_skipped(log: Log) -> None:
    schedule = Schedule()
    schedule.add(at(1), log.action("kept"))
    dropped = schedule.add(at(2), log.action("dropped"))
    schedule.add(at(3), log.action("also kept"))
    schedule.cancel(dropped)
    assert dropped.cancelled is True
    assert schedule.run_until(at(5)) == 2
    assert log.entries == [("kept", at(1)), ("also kept", at(3))]
    assert len(schedule) == 0


def test_cancel_after_running_changes_nothing(log: Log) -> None:
    schedule = Schedule()
    event = schedule.add(at(1), log.action("a"))
    schedule.run_until(at(1))
    schedule.cancel(event)
    assert log.entries == [("a", at(1))]
    assert (len(schedule), schedule.stored) == (0, 0)


def test_cancelling_an_applied_event_leaves_the_count_of_live_ones(log: Log) -> None:
    # The applied event is no longer stored: it must not count as a cancelled one
    # (two later events keep the schedule from compacting, which would hide that).
    schedule = Schedule()
    applied = schedule.add(at(1), log.action("a"))
    schedule.add(at(5), log.action("b"))
    schedule.add(at(6), log.action("c"))
    schedule.run_until(at(1))
    schedule.cancel(applied)
    assert (len(schedule), schedule.stored) == (2, 2)
    assert schedule.run_until(at(10)) == 2


def test_a_cancelled_event_no_longer_counts(log: Log) -> None:
    schedule = Schedule()
    schedule.cancel(schedule.add(at(1), log.action("a")))
    assert len(schedule) == 0
    assert schedule.run_until(at(1)) == 0
    assert schedule.stored == 0


def test_cancelled_events_are_dropped_once_they_are_half_of_what_is_stored(log: Log) -> None:
    schedule = Schedule()
    events = [schedule.add(at(day), log.action(f"d{day}")) for day in range(1, 11)]
    for event in events[:5]:
        schedule.cancel(event)
    assert (len(schedule), schedule.stored) == (5, 10)  # half: kept until it outnumbers
    schedule.cancel(events[5])
    assert (len(schedule), schedule.stored) == (4, 4)
    assert schedule.run_until(at(20)) == 4
    assert [name for name, _ in log.entries] == ["d7", "d8", "d9", "d10"]


def test_toggling_keeps_the_schedule_small(log: Log) -> None:
    schedule = Schedule()
    for day in range(5000):
        schedule.cancel(schedule.add(at(day + 365), log.action("yearly")))
    assert (len(schedule), schedule.stored) == (0, 0)


def test_cancelling_lets_go_of_the_action(log: Log) -> None:
    # The action holds what it acts on (a key): a cancelled event must not keep it alive.
    class Action:
        def __call__(self, when: _dt.datetime) -> None:
            log.entries.append(("ran", when))

    schedule = Schedule()
    action = Action()
    released = weakref.ref(action)
    schedule.add(at(5), log.action("later"))
    event = schedule.add(at(1), action)
    del action
    schedule.cancel(event)
    assert released() is None
    assert schedule.run_until(at(10)) == 1
    assert log.entries == [("later", at(5))]


def test_pending_lists_the_live_events_in_due_order(log: Log) -> None:
    schedule = Schedule()
    late = schedule.add(at(3), log.action("late"))
    dropped = schedule.add(at(2), log.action("dropped"))
    early = schedule.add(at(1), log.action("early"))
    tie = schedule.add(at(3), log.action("tie"))
    schedule.cancel(dropped)
    assert schedule.pending() == [early, late, tie]


def test_cancelling_while_running_is_safe(log: Log) -> None:
    # A due action that cancels several later events (compacting the heap) mid-run.
    schedule = Schedule()
    later = [schedule.add(at(day), log.action(f"d{day}")) for day in (2, 3, 4)]
    kept = schedule.add(at(5), log.action("kept"))

    def cancel_later(when: _dt.datetime) -> None:
        for event in later:
            schedule.cancel(event)

    schedule.add(at(1), cancel_later)
    assert schedule.run_until(at(10)) == 2
    assert log.entries == [("kept", at(5))]
    assert kept.cancelled is False


def test_add_returns_the_event(log: Log) -> None:
    schedule = Schedule()
    action = log.action("a")
    event = schedule.add(at(1), action)
    assert isinstance(event, ScheduledEvent)
    assert (event.due, event.action, event.cancelled) == (at(1), action, False)


def test_events_scheduled_while_running_are_applied_if_due(log: Log) -> None:
    # A yearly event that reschedules itself: a jump of three years replays each one.
    schedule = Schedule()

    def yearly(when: _dt.datetime) -> None:
        log.entries.append(("yearly", when))
        schedule.add(when + _dt.timedelta(days=365), yearly)

    schedule.add(at(365), yearly)
    schedule.add(at(400), log.action("other"))
    assert schedule.run_until(at(3 * 365 + 10)) == 4
    assert log.entries == [
        ("yearly", at(365)),
        ("other", at(400)),
        ("yearly", at(730)),
        ("yearly", at(1095)),
    ]
    assert len(schedule) == 1  # the fourth year is not due yet


def test_event_scheduled_while_running_but_not_due_waits(log: Log) -> None:
    schedule = Schedule()

    def follow_up(when: _dt.datetime) -> None:
        schedule.add(at(5), log.action("follow-up"))

    schedule.add(at(1), follow_up)
    assert schedule.run_until(at(2)) == 1
    assert log.entries == []
    assert schedule.run_until(at(5)) == 1
    assert log.entries == [("follow-up", at(5))]


def test_action_may_cancel_a_later_event(log: Log) -> None:
    schedule = Schedule()
    later = schedule.add(at(2), log.action("later"))
    schedule.add(at(1), lambda when: schedule.cancel(later))
    assert schedule.run_until(at(3)) == 1
    assert log.entries == []


def test_a_failing_action_leaves_the_rest_scheduled(log: Log) -> None:
    schedule = Schedule()

    def fail(when: _dt.datetime) -> None:
        raise RuntimeError("boom")

    schedule.add(at(1), fail)
    schedule.add(at(2), log.action("next"))
    with pytest.raises(RuntimeError, match="boom"):
        schedule.run_until(at(3))
    assert schedule.run_until(at(3)) == 1
    assert log.entries == [("next", at(2))]
