"""FrozenClock and SystemClock: moving time, misuse, and news of moves."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

import freezegun
import pytest
import time_machine

from kms_mock import FrozenClock, KmsMockError, SystemClock, UsageError, mock_kms
from tests._helpers import new_client, new_key, stored_key

UTC = _dt.UTC
START = _dt.datetime(2025, 1, 1, tzinfo=UTC)


class Recorder:
    """A clock listener that remembers every time it was told."""

    def __init__(self) -> None:
        self.seen: list[_dt.datetime] = []

    def __call__(self, now: _dt.datetime) -> None:
        self.seen.append(now)


# -- FrozenClock: where it starts ------------------------------------------------


def test_default_start() -> None:
    clock = FrozenClock()
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


@pytest.mark.parametrize(
    "start",
    [
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00.000Z",
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T02:00:00+02:00",
        "2024-12-31T19:00:00-05:00",
        "2025-01-01T00:00:00",  # naive: UTC
        "2025-01-01",
        _dt.datetime(2025, 1, 1),  # naive: UTC
        _dt.datetime(2025, 1, 1, 9, tzinfo=_dt.timezone(_dt.timedelta(hours=9))),
    ],
)
def test_start_forms(start: str | _dt.datetime) -> None:
    now = FrozenClock(start).now()
    assert now == START
    assert now.utcoffset() == _dt.timedelta(0)
    assert now.tzinfo is UTC


def test_repr() -> None:
    assert repr(FrozenClock("2025-06-01T12:30:00Z")) == "FrozenClock('2025-06-01T12:30:00+00:00')"


def test_time_stands_still() -> None:
    clock = FrozenClock()
    assert clock.now() == clock.now() == START


def test_unparseable_start() -> None:
    with pytest.raises(UsageError) as excinfo:
        FrozenClock("yesterday")
    assert str(excinfo.value) == (
        "'yesterday' is not an ISO-8601 date-time; use a form such as '2025-01-01T00:00:00Z'."
    )


@pytest.mark.parametrize("start", [1735689600, _dt.date(2025, 1, 1), None])
def test_start_of_the_wrong_type(start: Any) -> None:
    with pytest.raises(UsageError) as excinfo:
        FrozenClock(start)
    assert str(excinfo.value) == (
        f"{start!r} is not a date-time; pass a datetime.datetime or an ISO-8601 string "
        "such as '2025-01-01T00:00:00Z'."
    )


def test_usage_error_is_a_kms_mock_error() -> None:
    assert issubclass(UsageError, KmsMockError)
    assert not issubclass(UsageError, ValueError)  # never mistaken for an AWS error


# -- FrozenClock: advance ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((_dt.timedelta(days=2, seconds=5),), {}, _dt.timedelta(days=2, seconds=5)),
        ((), {"days": 365}, _dt.timedelta(days=365)),
        ((), {"days": 1.5}, _dt.timedelta(hours=36)),
        ((), {"hours": 25}, _dt.timedelta(hours=25)),
        ((), {"minutes": 90}, _dt.timedelta(minutes=90)),
        ((), {"seconds": 0.25}, _dt.timedelta(milliseconds=250)),
        (
            (_dt.timedelta(days=1),),
            {"days": 1, "hours": 2, "minutes": 3, "seconds": 4},
            _dt.timedelta(days=2, hours=2, minutes=3, seconds=4),
        ),
        ((), {"days": 1, "hours": -1}, _dt.timedelta(hours=23)),  # the sum counts
        ((), {}, _dt.timedelta(0)),
    ],
)
def test_advance(args: tuple[Any, ...], kwargs: dict[str, Any], expected: _dt.timedelta) -> None:
    clock = FrozenClock()
    returned = clock.advance(*args, **kwargs)
    assert returned == clock.now() == START + expected


def test_advances_add_up() -> None:
    clock = FrozenClock()
    clock.advance(days=1)
    clock.advance(_dt.timedelta(hours=12))
    assert clock.now() == START + _dt.timedelta(days=1, hours=12)


@pytest.mark.parametrize(
    ("args", "kwargs", "shown"),
    [
        ((), {"seconds": -1}, "-1 day, 23:59:59"),
        ((_dt.timedelta(days=-3),), {}, "-3 days, 0:00:00"),
        ((_dt.timedelta(days=1),), {"days": -2}, "-1 day, 0:00:00"),
    ],
)
def test_negative_advance(args: tuple[Any, ...], kwargs: dict[str, Any], shown: str) -> None:
    clock = FrozenClock()
    recorder = Recorder()
    clock.subscribe(recorder)
    with pytest.raises(UsageError) as excinfo:
        clock.advance(*args, **kwargs)
    assert str(excinfo.value) == (
        f"cannot advance a clock by a negative amount ({shown}); time only moves forward "
        "in kms_mock, so start a new mock to go back."
    )
    assert clock.now() == START
    assert recorder.seen == []


@pytest.mark.parametrize("amount", [5, 2.5, "1d"])
def test_advance_without_a_unit(amount: Any) -> None:
    clock = FrozenClock()
    with pytest.raises(UsageError) as excinfo:
        clock.advance(amount)
    assert str(excinfo.value) == (
        f"advance({amount!r}) does not say which unit it means; pass a datetime.timedelta, "
        "or days=, hours=, minutes= or seconds=."
    )
    assert clock.now() == START


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [
        ({"days": float("nan")}, "days=nan, hours=0, minutes=0, seconds=0"),
        ({"days": float("inf")}, "days=inf, hours=0, minutes=0, seconds=0"),
        ({"hours": -float("inf")}, "days=0, hours=-inf, minutes=0, seconds=0"),
        ({"seconds": 1e18}, "days=0, hours=0, minutes=0, seconds=1e+18"),
        ({"days": 10**10}, "days=10000000000, hours=0, minutes=0, seconds=0"),
        ({"days": "1"}, "days='1', hours=0, minutes=0, seconds=0"),
    ],
)
@pytest.mark.parametrize("make_clock", [FrozenClock, SystemClock], ids=["frozen", "system"])
def test_absurd_amounts_are_usage_errors(
    make_clock: type[FrozenClock | SystemClock], kwargs: dict[str, Any], shown: str
) -> None:
    clock = make_clock()
    recorder = Recorder()
    clock.subscribe(recorder)
    with pytest.raises(UsageError) as excinfo:
        clock.advance(**kwargs)
    assert str(excinfo.value) == (
        f"cannot advance a clock by {shown}: pass finite numbers that add up to less than "
        "999,999,999 days (a datetime.timedelta's range)."
    )
    assert recorder.seen == []


def test_an_absurd_timedelta_sum_is_a_usage_error() -> None:
    clock = FrozenClock()
    with pytest.raises(UsageError) as excinfo:
        clock.advance(_dt.timedelta.max, days=1)
    assert str(excinfo.value) == (
        "cannot advance a clock by datetime.timedelta(days=999999999, seconds=86399, "
        "microseconds=999999) and days=1, hours=0, minutes=0, seconds=0: pass finite numbers "
        "that add up to less than 999,999,999 days (a datetime.timedelta's range)."
    )
    assert clock.now() == START


@pytest.mark.parametrize(
    ("start", "kwargs", "step"),
    [
        ("2025-01-01T00:00:00Z", {"days": 10**7}, "10000000 days, 0:00:00"),
        ("9999-12-31T00:00:00Z", {"days": 1}, "1 day, 0:00:00"),
    ],
)
def test_advancing_past_the_end_of_datetime_is_a_usage_error(
    start: str, kwargs: dict[str, Any], step: str
) -> None:
    clock = FrozenClock(start)
    recorder = Recorder()
    clock.subscribe(recorder)
    before = clock.now()
    with pytest.raises(UsageError) as excinfo:
        clock.advance(**kwargs)
    assert str(excinfo.value) == (
        f"cannot advance a clock by {step} from {before.isoformat()}: that is past the end "
        "of datetime (year 9999)."
    )
    assert clock.now() == before
    assert recorder.seen == []


def test_system_clock_past_the_end_of_datetime_keeps_its_offset() -> None:
    clock = SystemClock()
    with pytest.raises(UsageError, match=r"that is past the end of datetime \(year 9999\)\.$"):
        clock.advance(days=10**7)
    assert repr(clock) == "SystemClock(offset=0:00:00)"


# -- FrozenClock: move_to ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "2026-02-03T04:05:06Z",
        "2026-02-03T06:05:06+02:00",
        "2026-02-03T04:05:06",
        _dt.datetime(2026, 2, 3, 4, 5, 6),
        _dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
        _dt.datetime(2026, 2, 2, 23, 5, 6, tzinfo=_dt.timezone(_dt.timedelta(hours=-5))),
    ],
)
def test_move_to(target: str | _dt.datetime) -> None:
    clock = FrozenClock()
    expected = _dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert clock.move_to(target) == expected
    assert clock.now() == expected
    assert clock.now().tzinfo is UTC


def test_move_to_now_is_allowed() -> None:
    clock = FrozenClock()
    assert clock.move_to(START) == START


def test_move_to_backwards() -> None:
    clock = FrozenClock()
    recorder = Recorder()
    clock.subscribe(recorder)
    with pytest.raises(UsageError) as excinfo:
        clock.move_to("2024-12-31T23:59:59Z")
    assert str(excinfo.value) == (
        "cannot move a FrozenClock backwards from 2025-01-01T00:00:00+00:00 to "
        "2024-12-31T23:59:59+00:00; time only moves forward in kms_mock, so start a new "
        "mock (or a new FrozenClock) to go back."
    )
    assert clock.now() == START
    assert recorder.seen == []


def test_move_to_backwards_by_the_offset_of_an_aware_datetime() -> None:
    # 2025-01-01T01:00+02:00 is 2024-12-31T23:00Z: earlier, though its digits are later.
    clock = FrozenClock()
    with pytest.raises(UsageError):
        clock.move_to("2025-01-01T01:00:00+02:00")
    assert clock.now() == START


def test_move_to_unparseable() -> None:
    clock = FrozenClock()
    with pytest.raises(UsageError) as excinfo:
        clock.move_to("next tuesday")
    assert str(excinfo.value) == (
        "'next tuesday' is not an ISO-8601 date-time; use a form such as '2025-01-01T00:00:00Z'."
    )


# -- listeners -------------------------------------------------------------------------------


def test_listeners_hear_every_move_in_subscription_order() -> None:
    clock = FrozenClock()
    order: list[tuple[str, _dt.datetime]] = []
    clock.subscribe(lambda now: order.append(("first", now)))
    clock.subscribe(lambda now: order.append(("second", now)))
    one_day = clock.advance(days=1)
    later = clock.move_to("2025-03-01T00:00:00Z")
    assert order == [("first", one_day), ("second", one_day), ("first", later), ("second", later)]


def test_unsubscribe() -> None:
    clock = FrozenClock()
    recorder = Recorder()
    clock.subscribe(recorder)
    clock.advance(days=1)
    clock.unsubscribe(recorder)
    clock.advance(days=1)
    assert recorder.seen == [START + _dt.timedelta(days=1)]


def test_unsubscribe_unknown_listener_is_ignored() -> None:
    clock = FrozenClock()
    clock.unsubscribe(Recorder())
    assert clock.advance(days=1) == START + _dt.timedelta(days=1)


def test_listener_may_unsubscribe_while_being_told() -> None:
    clock = FrozenClock()
    later = Recorder()

    def once(now: _dt.datetime) -> None:
        clock.unsubscribe(once)

    clock.subscribe(once)
    clock.subscribe(later)
    clock.advance(days=1)
    clock.advance(days=1)
    assert later.seen == [START + _dt.timedelta(days=1), START + _dt.timedelta(days=2)]


def test_listener_sees_the_clock_already_moved() -> None:
    clock = FrozenClock()
    seen: list[_dt.datetime] = []
    clock.subscribe(lambda now: seen.append(clock.now()))
    clock.advance(hours=1)
    assert seen == [START + _dt.timedelta(hours=1)]


class Sundial:
    """A clock with only ``now()`` (and a way for the test to move it): it tells no one."""

    def __init__(self) -> None:
        self.when = START

    def now(self) -> _dt.datetime:
        return self.when

    def advance(self, *, days: float) -> None:
        self.when += _dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("make_clock", "tells_of_its_moves"),
    [(FrozenClock, True), (SystemClock, True), (Sundial, False)],
    ids=["frozen", "system", "only-now"],
)
def test_due_events_happen_at_the_move_when_the_clock_tells_of_it(
    make_clock: Callable[[], FrozenClock | SystemClock | Sundial], tells_of_its_moves: bool
) -> None:
    clock = make_clock()
    with mock_kms(clock=clock) as kms:
        client = new_client()
        key_id = new_key(client)["KeyId"]
        client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        clock.advance(days=90)
        # The stored key, not the handle: reading the handle reads the clock first.
        rotated_at_the_move = len(stored_key(kms, key_id).materials.by_id) == 2
        assert len(kms.key_materials(key_id)) == 2  # any clock: by the next read
    assert rotated_at_the_move is tells_of_its_moves


# -- SystemClock --------------------------------------------------------------------------------


def test_system_clock_is_real_time() -> None:
    before = _dt.datetime.now(UTC)
    now = SystemClock().now()
    after = _dt.datetime.now(UTC)
    assert before <= now <= after
    assert now.tzinfo is UTC


def test_system_clock_follows_freezegun() -> None:
    clock = SystemClock()
    with freezegun.freeze_time("2030-05-06T07:08:09Z") as frozen:
        assert clock.now() == _dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
        frozen.tick(_dt.timedelta(hours=1))
        assert clock.now() == _dt.datetime(2030, 5, 6, 8, 8, 9, tzinfo=UTC)
        frozen.move_to("2031-01-01T00:00:00Z")
        assert clock.now() == _dt.datetime(2031, 1, 1, tzinfo=UTC)


def test_system_clock_follows_time_machine() -> None:
    clock = SystemClock()
    destination = _dt.datetime(2032, 2, 29, 12, tzinfo=UTC)
    with time_machine.travel(destination, tick=False) as traveller:
        assert clock.now() == destination
        traveller.shift(_dt.timedelta(days=1))
        assert clock.now() == destination + _dt.timedelta(days=1)


def test_system_clock_advance_adds_an_offset() -> None:
    clock = SystemClock()
    recorder = Recorder()
    clock.subscribe(recorder)
    with freezegun.freeze_time("2030-01-01T00:00:00Z") as frozen:
        returned = clock.advance(days=2)
        assert returned == clock.now() == _dt.datetime(2030, 1, 3, tzinfo=UTC)
        clock.advance(_dt.timedelta(hours=1), minutes=30)
        frozen.tick(_dt.timedelta(seconds=10))  # real time moves on under the offset
        assert clock.now() == _dt.datetime(2030, 1, 3, 1, 30, 10, tzinfo=UTC)
    assert recorder.seen == [
        _dt.datetime(2030, 1, 3, tzinfo=UTC),
        _dt.datetime(2030, 1, 3, 1, 30, tzinfo=UTC),
    ]
    assert repr(clock) == "SystemClock(offset=2 days, 1:30:00)"


def test_system_clock_refuses_to_go_back() -> None:
    clock = SystemClock()
    with pytest.raises(UsageError) as excinfo:
        clock.advance(hours=-2)
    assert str(excinfo.value) == (
        "cannot advance a clock by a negative amount (-1 day, 22:00:00); time only moves "
        "forward in kms_mock, so start a new mock to go back."
    )
    assert repr(clock) == "SystemClock(offset=0:00:00)"


def test_system_clock_advance_without_a_unit() -> None:
    with pytest.raises(UsageError):
        SystemClock().advance(3)  # type: ignore[arg-type]


END_OF_TIME = _dt.datetime.max.replace(tzinfo=UTC)


def test_system_clock_stops_at_the_end_of_datetime_as_real_time_goes_on() -> None:
    # Advanced to the last second there is; real time then carries it past the end.
    clock = SystemClock()
    with time_machine.travel(_dt.datetime(2025, 1, 1, tzinfo=UTC), tick=False) as traveller:
        clock.advance(END_OF_TIME - _dt.timedelta(seconds=1) - clock.now())
        traveller.shift(_dt.timedelta(seconds=2))
        assert clock.now() == END_OF_TIME
        traveller.shift(_dt.timedelta(days=1))
        assert clock.now() == END_OF_TIME
        with pytest.raises(UsageError, match=r"that is past the end of datetime \(year 9999\)\.$"):
            clock.advance(seconds=1)


def test_a_mock_on_a_system_clock_at_the_end_of_datetime_serves_and_stops() -> None:
    clock = SystemClock()
    with time_machine.travel(_dt.datetime(2025, 1, 1, tzinfo=UTC), tick=False) as traveller:
        with mock_kms(clock=clock) as kms:
            client = new_client()
            key_id = new_key(client)["KeyId"]
            clock.advance(END_OF_TIME - _dt.timedelta(seconds=1) - clock.now())
            traveller.shift(_dt.timedelta(hours=1))
            client.enable_key_rotation(KeyId=key_id)
            status = client.get_key_rotation_status(KeyId=key_id)
            assert (status["KeyRotationEnabled"], "NextRotationDate" in status) == (True, False)
            assert new_key(client)["CreationDate"].year == 9999
        assert kms.audit_log[-1]["eventTime"] == "9999-12-31T23:59:59Z"
