"""Which activation serves a botocore call: the one its own thread or asyncio task entered.

A running backend is an :class:`Activation`; only one that has been entered
here intercepts this process's botocore clients (a server can serve a backend
that was never entered). Each thread and task sees the activations it entered,
innermost last, in a context variable (asyncio copies it into every task it
creates, so two ``@mock_kms`` coroutines under ``asyncio.gather`` keep apart).
A thread that entered none, such as a worker started by the code under test,
is served by the most recent activation entered in the process.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._store import Backend


class Activation:
    """One running backend; ``live`` until it is left (entered or not)."""

    __slots__ = ("backend", "live")

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.live = True


# A tuple, never changed in place: a context that copied it keeps its own.
_entered: ContextVar[tuple[Activation, ...]] = ContextVar("kms_mock_entered", default=())
# Every live activation entered in the process, oldest first.
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


def enter(activation: Activation) -> None:
    """Make ``activation`` serve this thread or task (and, by default, every other thread)."""
    entered = tuple(other for other in _entered.get() if other.live)
    _entered.set((*entered, activation))
    _running.append(activation)


def leave(activation: Activation) -> None:
    """End ``activation``, wherever it was entered, if it was (leaving twice is harmless)."""
    if not activation.live:
        return
    activation.live = False
    if activation in _running:
        _running.remove(activation)
    entered = _entered.get()
    if activation in entered:
        _entered.set(tuple(other for other in entered if other is not activation))


def depth() -> int:
    """How many entered activations are live in the process (the suite's leak check reads it)."""
    return len(_running)
