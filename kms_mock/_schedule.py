"""Time-driven events (deletion, rotation, expiry) ordered by due time.

Events are applied in due-time order whenever the backend catches up with its
clock (before every request, and whenever the clock is moved) — never by a
background thread. An event applied late is still dated on its due time: the
``when`` passed to it is the scheduled instant, not the moment of the catch-up.

Cancelling is lazy: a cancelled event stays in the heap, skipped when it
reaches the front, so cancelling costs O(1) and idle keys cost nothing. It lets
go of its action at once (and with it the key the action holds), and the heap
is compacted once cancelled events are more than half of it: toggling rotation
a thousand times leaves no thousand dead events behind.
"""

from __future__ import annotations

import datetime as _dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

EventAction = Callable[[_dt.datetime], None]


def date_after(start: _dt.datetime, delta: _dt.timedelta) -> _dt.datetime | None:
    """``start + delta``, or None when that falls after the end of ``datetime`` (year 9999).

    An event due then never happens: whatever schedules it schedules nothing.
    """
    try:
        return start + delta
    except OverflowError:
        return None


def live_due(event: ScheduledEvent | None) -> _dt.datetime | None:
    """When ``event`` will be applied; None if there is none, or it was applied or cancelled."""
    if event is None or event.cancelled or not event.queued:
        return None
    return event.due


def _cancelled_action(when: _dt.datetime) -> None:
    """What a cancelled event holds instead of its action: nothing to keep alive."""


@dataclass(eq=False, slots=True)
class ScheduledEvent:
    """One future happening: ``action(due)`` runs once the clock reaches ``due``."""

    due: _dt.datetime
    action: EventAction
    # What the event changes (a key, a custom key store): a state file rewrites it.
    subject: object = None
    # Its place among events due at the same instant (a state file keeps it).
    order: int = 0
    cancelled: bool = False
    # In the heap: neither applied nor dropped yet.
    queued: bool = field(default=True, repr=False)


class Schedule:
    """A heap of :class:`ScheduledEvent` ordered by due time, then by insertion."""

    def __init__(self) -> None:
        self._heap: list[tuple[_dt.datetime, int, ScheduledEvent]] = []
        self._next_order = 0
        self._cancelled = 0  # cancelled events still in the heap
        # The subjects of the events applied, while a state file collects them (else None).
        self.applied: list[object] | None = None

    def __len__(self) -> int:
        """The number of live (not cancelled, not yet applied) events."""
        return len(self._heap) - self._cancelled

    @property
    def stored(self) -> int:
        """Events held in memory: the live ones, plus at most as many cancelled ones."""
        return len(self._heap)

    def add(self, due: _dt.datetime, action: EventAction, subject: object = None) -> ScheduledEvent:
        """Schedule ``action`` at ``due``; keep the event to cancel it later.

        ``subject`` is what the action changes, named when it is applied (:attr:`applied`).
        """
        event = ScheduledEvent(due, action, subject, self._next_order)
        self._next_order += 1
        heapq.heappush(self._heap, (due, event.order, event))
        return event

    def number_next(self, order: int) -> None:
        """Number the next event added ``order``: a loaded state file's events keep theirs."""
        self._next_order = order

    def cancel(self, event: ScheduledEvent) -> None:
        """Make sure ``event`` never runs; cancelling an applied event changes nothing."""
        if event.cancelled:
            return
        event.cancelled = True
        event.action = _cancelled_action
        if event.queued:
            self._cancelled += 1
            if 2 * self._cancelled > len(self._heap):
                self._compact()

    def _compact(self) -> None:
        # In place: run_until may be iterating over this very list.
        self._heap[:] = [entry for entry in self._heap if not entry[2].cancelled]
        heapq.heapify(self._heap)
        self._cancelled = 0

    def pending(self) -> list[ScheduledEvent]:
        """The live events, in the order they will be applied."""
        return [event for _, _, event in sorted(self._heap) if not event.cancelled]

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
            event.queued = False
            if event.cancelled:
                self._cancelled -= 1
            else:
                event.action(due)
                applied += 1
                if self.applied is not None:
                    self.applied.append(event.subject)
        return applied
