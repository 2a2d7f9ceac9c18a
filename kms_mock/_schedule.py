"""Time-driven events (deletion, rotation, expiry) ordered by due time.

Events are applied in due-time order whenever the backend catches up with its
clock (before every request, and whenever the clock is moved) — never by a
background thread. An event applied late is still dated on its due time: the
``when`` passed to it is the scheduled instant, not the moment of the catch-up.

Cancelling is lazy: an event whose ``cancelled`` flag is set is dropped when
it reaches the front, so cancelling costs O(1) and idle keys cost nothing.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

EventAction = Callable[[_dt.datetime], None]


@dataclass(eq=False, slots=True)
class ScheduledEvent:
    """One future happening: ``action(due)`` runs once the clock reaches ``due``."""

    due: _dt.datetime
    action: EventAction
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        """Make sure the event never runs (it is dropped when it comes due)."""
        self.cancelled = True


class Schedule:
    """A heap of :class:`ScheduledEvent` ordered by due time, then by insertion."""

    def __init__(self) -> None:
        self._heap: list[tuple[_dt.datetime, int, ScheduledEvent]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, due: _dt.datetime, action: EventAction) -> ScheduledEvent:
        """Schedule ``action`` at ``due``; keep the event to cancel it later."""
        event = ScheduledEvent(due, action)
        heapq.heappush(self._heap, (due, next(self._order), event))
        return event

    def run_until(self, now: _dt.datetime) -> int:
        """Apply, in time order, every event due at or before ``now``.

        Events that actions schedule while this runs are applied too if they
        are already due, so a jump over several periods replays every one.
        Returns the number of events applied.
        """
        applied = 0
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, event = heapq.heappop(heap)
            if not event.cancelled:
                event.action(due)
                applied += 1
        return applied
