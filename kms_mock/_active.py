"""Which activation serves a call: the one its own thread or asyncio task entered.

Each thread and task sees the activations it entered, innermost last, in a
context variable (asyncio copies it into every task it creates, so two
``@mock_kms`` coroutines under ``asyncio.gather`` keep apart). A thread that
entered none, such as a worker started by the code under test, is served by
the most recent activation in the process.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._store import Backend


class Activation:
    """One running activation of a backend; ``live`` until it is left."""

    __slots__ = ("backend", "live")

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.live = True


# A tuple, never changed in place: a context that copied it keeps its own.
_entered: ContextVar[tuple[Activation, ...]] = ContextVar("kms_mock_entered", default=())
# Every live activation in the process, oldest first.
_running: list[Activation] = []


def active_backend() -> Backend | None:
    """The backend serving the calling thread or task now, or None when none does."""
    entered = _entered.get()
    # Left activations stay in the contexts that entered them (a mock stopped
    # from another task or thread): skip them.
    for activation in reversed(entered):
        if activation.live:
            return activation.backend
    return _running[-1].backend if _running else None


def enter(backend: Backend) -> Activation:
    """Make ``backend`` serve this thread or task (and, by default, every other thread)."""
    activation = Activation(backend)
    entered = tuple(other for other in _entered.get() if other.live)
    _entered.set((*entered, activation))
    _running.append(activation)
    return activation


def leave(activation: Activation) -> None:
    """End ``activation``, wherever it was entered (leaving twice is harmless)."""
    if not activation.live:
        return
    activation.live = False
    _running.remove(activation)
    entered = _entered.get()
    if activation in entered:
        _entered.set(tuple(other for other in entered if other is not activation))


def depth() -> int:
    """How many activations are live in the process (the suite's leak check reads it)."""
    return len(_running)
