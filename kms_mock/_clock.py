"""Clocks: the only place kms_mock learns what time it is.

Nothing else reads the wall clock. A clock tells its listeners (the schedules
of the mocks that use it) whenever it is moved, so that time-driven events
happen at the moment the test moves time, dated on their scheduled dates.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ._errors import UsageError

UTC = _dt.UTC
_END_OF_TIME = _dt.datetime.max.replace(tzinfo=UTC)

TimeListener = Callable[[_dt.datetime], None]


@runtime_checkable
class Clock(Protocol):
    """What a mock needs from a clock: the current time.

    Any object whose ``now()``, called without arguments, returns a timezone-aware
    datetime will do; ``mock_kms`` calls it once when the mock is made, to check.
    Events fall due when the mock next reads the time (every request and every
    inspection reads it). A clock that also has ``subscribe(listener)`` and
    ``unsubscribe(listener)``, as both kms_mock clocks have, and calls
    ``listener(now)`` whenever it is moved, makes them happen at that moment.
    """

    def now(self) -> _dt.datetime:
        """The current time, timezone-aware."""


def parse_instant(value: _dt.datetime | str) -> _dt.datetime:
    """A timezone-aware UTC datetime from a datetime or an ISO-8601 string.

    Naive values are taken as UTC, as AWS timestamps always are.
    """
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)  # Python 3.11+ reads a "Z" suffix
        except ValueError:
            raise UsageError(
                f"{value!r} is not an ISO-8601 date-time; "
                "use a form such as '2025-01-01T00:00:00Z'."
            ) from None
    if not isinstance(value, _dt.datetime):
        raise UsageError(
            f"{value!r} is not a date-time; pass a datetime.datetime or an ISO-8601 "
            "string such as '2025-01-01T00:00:00Z'."
        )
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _as_timedelta(
    delta: _dt.timedelta | None, days: float, hours: float, minutes: float, seconds: float
) -> _dt.timedelta:
    if delta is not None and not isinstance(delta, _dt.timedelta):
        raise UsageError(
            f"advance({delta!r}) does not say which unit it means; pass a "
            "datetime.timedelta, or days=, hours=, minutes= or seconds=."
        )
    try:
        step = _dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if delta is not None:
            step += delta
    except (OverflowError, ValueError, TypeError):  # nan, inf, 1e18 seconds, "1"
        amounts = f"days={days!r}, hours={hours!r}, minutes={minutes!r}, seconds={seconds!r}"
        if delta is not None:
            amounts = f"{delta!r} and {amounts}"
        raise UsageError(
            f"cannot advance a clock by {amounts}: pass finite numbers that add up to "
            "less than 999,999,999 days (a datetime.timedelta's range)."
        ) from None
    if step < _dt.timedelta(0):
        raise UsageError(
            f"cannot advance a clock by a negative amount ({step}); "
            "time only moves forward in kms_mock, so start a new mock to go back."
        )
    return step


def _past_the_end(start: _dt.datetime, step: _dt.timedelta) -> UsageError:
    return UsageError(
        f"cannot advance a clock by {step} from {start.isoformat()}: that is past the end "
        "of datetime (year 9999)."
    )


class _MovableClock:
    """What both clocks share: listeners (told in subscription order) and advance."""

    def __init__(self) -> None:
        self._listeners: list[TimeListener] = []

    def subscribe(self, listener: TimeListener) -> None:
        """Call ``listener(now)`` whenever the clock is moved."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: TimeListener) -> None:
        """Stop calling ``listener``; unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, now: _dt.datetime) -> None:
        for listener in list(self._listeners):
            listener(now)

    def now(self) -> _dt.datetime:
        """The current time, timezone-aware UTC."""
        raise NotImplementedError

    def _shift(self, step: _dt.timedelta) -> None:
        raise NotImplementedError

    def _checkpoint(self) -> object:
        """Where the clock stands, for :meth:`_rewind` (a decorated test's start)."""
        raise NotImplementedError

    def _rewind(self, checkpoint: object) -> None:
        """Stand where :meth:`_checkpoint` said, silently: no listener hears of it.

        Only each run of a decorated test does this, before its mock subscribes,
        so that every run starts at the instant the decorator was given.
        """
        raise NotImplementedError

    def advance(
        self,
        delta: _dt.timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> _dt.datetime:
        """Move forward by ``delta`` and/or the keyword amounts; returns the new time.

        Every event that falls due on the way happens, each on its own date.
        A move past the end of ``datetime`` (year 9999) is a UsageError.
        """
        step = _as_timedelta(delta, days, hours, minutes, seconds)
        start = self.now()
        try:
            start + step
        except OverflowError:
            raise _past_the_end(start, step) from None
        self._shift(step)
        now = self.now()
        self._notify(now)
        return now


class FrozenClock(_MovableClock):
    """A clock that stands still until the test moves it.

    ``FrozenClock("2025-01-01T00:00:00Z")``; ``advance(days=365)`` makes every
    event due in that year happen, each on its scheduled date. Moving backwards
    is a :class:`UsageError`.
    """

    def __init__(self, start: _dt.datetime | str = "2025-01-01T00:00:00Z") -> None:
        super().__init__()
        self._now = parse_instant(start)

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()!r})"

    def now(self) -> _dt.datetime:
        """The clock's current time (timezone-aware UTC)."""
        return self._now

    def _shift(self, step: _dt.timedelta) -> None:
        self._now += step

    def _checkpoint(self) -> object:
        return self._now

    def _rewind(self, checkpoint: object) -> None:
        assert isinstance(checkpoint, _dt.datetime)
        self._now = checkpoint

    def move_to(self, when: _dt.datetime | str) -> _dt.datetime:
        """Move to ``when`` (a datetime or ISO-8601 string, not earlier than now)."""
        target = parse_instant(when)
        if target < self._now:
            raise UsageError(
                f"cannot move a FrozenClock backwards from {self._now.isoformat()} to "
                f"{target.isoformat()}; time only moves forward in kms_mock, "
                "so start a new mock (or a new FrozenClock) to go back."
            )
        self._now = target
        self._notify(self._now)
        return self._now


class SystemClock(_MovableClock):
    """Real time, plus an offset that ``advance`` adds.

    It reads ``datetime.now`` at every call, so freezegun and time-machine move
    it too; their moves are seen the next time the mock reads the clock.
    """

    def __init__(self) -> None:
        super().__init__()
        self._offset = _dt.timedelta(0)

    def __repr__(self) -> str:
        return f"SystemClock(offset={self._offset})"

    def now(self) -> _dt.datetime:
        """Real (or frozen by freezegun / time-machine) UTC time plus the offset.

        A clock advanced to the end of ``datetime`` stays there as real time goes on.
        """
        try:
            return _dt.datetime.now(UTC) + self._offset
        except OverflowError:
            # advance() checked the move, but real time kept going: stopping here keeps
            # every call (and the mock's stop) working, where raising would break them all.
            return _END_OF_TIME

    def _shift(self, step: _dt.timedelta) -> None:
        # An offset on real time: the clock keeps following freezegun and
        # time-machine, shifted.
        self._offset += step

    def _checkpoint(self) -> object:
        return self._offset

    def _rewind(self, checkpoint: object) -> None:
        assert isinstance(checkpoint, _dt.timedelta)
        self._offset = checkpoint
