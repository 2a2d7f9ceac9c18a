"""The interceptor leak check, for this suite and for the runs pytester makes.

After every test no mock is left active, and botocore's built-in handler list
holds each of kms_mock's handlers exactly once: loading the plugin, or
importing a module again, must never add a second copy.
"""

from __future__ import annotations

import inspect

import botocore.handlers
import pytest

from kms_mock import _active, _interceptor


def leaks(*, restore: bool = False, expected: int = 0) -> list[str]:
    """What is not as it should be after a test; with ``restore``, put it right.

    ``expected`` mocks may stay active: the oldest ones, such as a decorated
    class's own activation while the class's tests still run.
    """
    found = []
    if _active.depth() > expected:
        found.append(f"{_active.depth() - expected} mock(s) left active")
        for activation in list(_active._running)[expected:] if restore else ():
            _active.leave(activation)
    handlers = botocore.handlers.BUILTIN_HANDLERS
    counts = [handlers.count(handler) for handler in _interceptor.HANDLERS]
    if counts != [1] * len(counts):
        found.append(f"kms_mock's handlers are registered {counts} times, not once each")
        if restore:
            extra = [
                index for index, handler in enumerate(handlers) if handler in _interceptor.HANDLERS
            ]
            for index in reversed(extra[len(_interceptor.HANDLERS) :]):
                del handlers[index]
    return found


# A plugin for the runs pytester makes: after each test's teardown, the test
# fails if it leaked, and the leak is undone so that the next test starts clean.
# It is a file of its own (not an import of this module), so that it loads in
# subprocesses and pytest-xdist workers too.
_PLUGIN = f"""
import botocore.handlers
import pytest

from kms_mock import _active, _interceptor


{inspect.getsource(leaks)}

def _class_still_running(item, nextitem):
    # A class decorated with @mock_kms keeps an activation for its class-level
    # code (setup_class, class-scoped fixtures) until its last test ends.
    cls = getattr(item, "cls", None)
    return (
        cls is not None
        and getattr(nextitem, "cls", None) is cls
        and "_kms_mock_class_activation" in vars(cls)
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    found = leaks(restore=True, expected=int(_class_still_running(item, nextitem)))
    assert not found, f"{{item.nodeid}} leaked: {{'; '.join(found)}}"
    return result
"""


def install(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Write the leak check into pytester's directory; returns the arguments of a run.

    Besides loading the leak check, they make warnings errors, and leave out
    the plugins a run does not need: hypothesis's, imported afresh by every
    in-process run (pytester forgets what a run imported), would cost a second.
    """
    pytester.makepyfile(kms_leak_check=_PLUGIN)
    pytester.syspathinsert()  # in-process runs
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))  # subprocesses and xdist workers
    return [
        *("-p", "kms_leak_check", "-W", "error"),
        *("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cacheprovider"),
    ]
