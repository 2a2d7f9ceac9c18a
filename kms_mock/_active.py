"""The stack of active mocks; the interceptor serves the innermost one.

One explicit, process-wide stack (as time-machine keeps its travellers): a
nested activation shadows the outer one until it ends. Every thread sees the
same stack, so threads started inside a mock share its backend.
"""

from __future__ import annotations

from ._store import Backend

_stack: list[Backend] = []


def active_backend() -> Backend | None:
    """The backend of the innermost active mock, or None when no mock is active."""
    return _stack[-1] if _stack else None


def push(backend: Backend) -> None:
    """Make ``backend`` the one that serves KMS requests."""
    _stack.append(backend)


def remove(backend: Backend) -> None:
    """Take ``backend`` off the stack wherever it is (stopping twice is harmless)."""
    for index in range(len(_stack) - 1, -1, -1):
        if _stack[index] is backend:
            del _stack[index]
            return


def depth() -> int:
    """How many mocks are active (the test suite's leak check reads it)."""
    return len(_stack)
