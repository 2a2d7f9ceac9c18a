"""``mock_kms`` and its handle ``MockKMS``: decorator, context manager, start/stop.

One object serves every form (as time-machine's ``travel`` does): bare
decorator, decorator with arguments, class decorator, context manager, and
manual ``start()`` / ``stop()``. Every activation starts with empty state.
"""

from __future__ import annotations

import functools
import inspect
import re
import unittest
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from . import _active, _inspect
from ._audit import DEFAULT_AUDIT_LOG_LIMIT
from ._clock import Clock, SystemClock
from ._errors import UsageError
from ._inspect import CiphertextInfo, KeyMaterialInfo
from ._interceptor import install
from ._store import DEFAULT_ON_DEMAND_ROTATION_LIMIT, Backend

_T = TypeVar("_T")
_R = TypeVar("_R")
_P = ParamSpec("_P")
_REGION = re.compile(r"([a-z]+-){2,3}\d+")
_ACCOUNT = re.compile(r"\d{12}")


class MockKMS:
    """A configured mock of AWS KMS; active between ``start()`` and ``stop()``.

    ``with mock_kms() as kms:`` yields it. ``kms.clock`` is the clock that
    drives its scheduled events.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Clock | None = None,
        seed: int | None = None,
        audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
    ) -> None:
        if not isinstance(region, str) or _REGION.fullmatch(region) is None:
            raise UsageError(f"region={region!r} is not an AWS region name such as 'us-east-1'.")
        if not isinstance(account_id, str) or _ACCOUNT.fullmatch(account_id) is None:
            raise UsageError(
                f"account_id={account_id!r} is not an AWS account id: use 12 digits, "
                "as a string, such as '123456789012'."
            )
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise UsageError(f"seed={seed!r} must be an int (or None for OS randomness).")
        if audit_log_limit is not None and (
            not isinstance(audit_log_limit, int)
            or isinstance(audit_log_limit, bool)
            or audit_log_limit < 1
        ):
            raise UsageError(
                f"audit_log_limit={audit_log_limit!r} must be an int >= 1 (the number of "
                "audit log records kept; the oldest are dropped), or None to keep every record."
            )
        self.region = region
        self.account_id = account_id
        self.seed = seed
        self._given_clock = clock
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._backend: Backend | None = None
        self._on_demand_rotation_limit = DEFAULT_ON_DEMAND_ROTATION_LIMIT
        self._audit_log_limit = audit_log_limit

    def __repr__(self) -> str:
        state = "active" if self._backend is not None else "inactive"
        return f"<MockKMS {state} region={self.region} account_id={self.account_id}>"

    @property
    def active(self) -> bool:
        """Whether this mock is serving requests now."""
        return self._backend is not None

    @property
    def backend(self) -> Backend:
        """The state of the current activation (a UsageError when inactive)."""
        if self._backend is None:
            raise UsageError(
                "this MockKMS is not active: use it as a decorator or context manager, "
                "or call start() first."
            )
        return self._backend

    # -- activation -------------------------------------------------------

    def start(self) -> MockKMS:
        """Activate with empty state; KMS calls are served until ``stop()``."""
        if self._backend is not None:
            raise UsageError(
                "this MockKMS is already active; call stop() first, or nest a new "
                "mock_kms(...) to start from empty state inside it."
            )
        if self._given_clock is None:
            self.clock = SystemClock()
        backend = Backend(
            clock=self.clock,
            default_region=self.region,
            account_id=self.account_id,
            seed=self.seed,
            on_demand_rotation_limit=self._on_demand_rotation_limit,
            audit_log_limit=self._audit_log_limit,
        )
        self.clock.subscribe(backend.on_time_moved)
        _active.push(backend)
        self._backend = backend
        return self

    def stop(self) -> None:
        """Deactivate; the previous mock (if nested) serves again. Idempotent."""
        backend, self._backend = self._backend, None
        if backend is None:
            return
        _active.remove(backend)
        self.clock.unsubscribe(backend.on_time_moved)

    def __enter__(self) -> MockKMS:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- inspection -------------------------------------------------------

    def key_materials(self, key_id: str) -> list[KeyMaterialInfo]:
        """Every material version of a key (id or ARN), oldest first.

        Each entry has the KeyMaterialId, its date (creation, or rotation date),
        how it came (ORIGINAL, AUTOMATIC, ON_DEMAND, IMPORTED) and its state.
        """
        return _inspect.key_materials(self.backend, key_id)

    def inspect_ciphertext(self, blob: bytes) -> CiphertextInfo:
        """Which key ARN and KeyMaterialId made ``blob`` (and its context digest)."""
        return _inspect.inspect_ciphertext(blob)

    @property
    def audit_log(self) -> list[dict[str, Any]]:
        """CloudTrail-shaped events of every call and service event, oldest first."""
        backend = self.backend
        with backend.transaction():
            return backend.audit.events()

    @property
    def audit_log_dropped(self) -> int:
        """How many of the earliest audit log records were dropped to stay within the limit."""
        return self.backend.audit.dropped

    @property
    def on_demand_rotation_limit(self) -> int:
        """RotateKeyOnDemand calls allowed per key (AWS: 25; 10 before mid-2025)."""
        return self._on_demand_rotation_limit

    @on_demand_rotation_limit.setter
    def on_demand_rotation_limit(self, limit: int) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise UsageError(f"on_demand_rotation_limit={limit!r} must be an int >= 0.")
        self._on_demand_rotation_limit = limit
        if self._backend is not None:
            self._backend.on_demand_rotation_limit = limit

    # -- decoration -------------------------------------------------------

    def _fresh(self) -> MockKMS:
        """A copy with the same settings (each decorated call gets its own)."""
        copy = MockKMS(
            region=self.region,
            account_id=self.account_id,
            clock=self._given_clock,
            seed=self.seed,
            audit_log_limit=self._audit_log_limit,
        )
        copy.on_demand_rotation_limit = self._on_demand_rotation_limit
        return copy

    @overload
    def __call__(self, target: type[_T]) -> type[_T]: ...

    @overload
    def __call__(self, target: Callable[_P, _R]) -> Callable[_P, _R]: ...

    def __call__(self, target: Any) -> Any:
        """Decorate a function (sync or async) or a test class."""
        if inspect.isclass(target):
            return self._decorate_class(target)
        if inspect.iscoroutinefunction(target):
            return self._decorate_coroutine(target)
        if callable(target):
            return self._decorate_function(target)
        raise UsageError(
            f"mock_kms cannot decorate {target!r}: decorate a function, a coroutine "
            "function or a class, or use it as a context manager."
        )

    def _decorate_function(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper

    def _decorate_coroutine(self, func: Callable[_P, Awaitable[_R]]) -> Callable[_P, Awaitable[_R]]:
        @functools.wraps(func)
        async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with self._fresh():
                return await func(*args, **kwargs)

        return wrapper

    def _decorate_class(self, cls: type[_T]) -> type[_T]:
        if issubclass(cls, unittest.TestCase):
            # Start in setUp so that setUp itself is inside the mock; stop as a
            # cleanup so that tearDown is too.
            original_setup = cls.setUp

            @functools.wraps(original_setup)
            def setUp(test: unittest.TestCase) -> None:
                mock = self._fresh().start()
                test.addCleanup(mock.stop)
                original_setup(test)

            cls.setUp = setUp  # type: ignore[method-assign,assignment]
            return cls
        # dir() includes test methods inherited from undecorated base classes;
        # the wrappers go on ``cls`` itself, so the base classes stay unchanged.
        for name in dir(cls):
            if not name.startswith("test"):
                continue
            member = inspect.getattr_static(cls, name)
            if isinstance(member, staticmethod | classmethod):
                # Keep the descriptor: a bare wrapper would be bound as a method.
                if inspect.isfunction(member.__func__):
                    setattr(cls, name, type(member)(self(member.__func__)))
            elif inspect.isfunction(member):
                setattr(cls, name, self(member))
        return cls


@overload
def mock_kms(func: type[_T], /) -> type[_T]: ...


@overload
def mock_kms(func: Callable[_P, _R], /) -> Callable[_P, _R]: ...


@overload
def mock_kms(
    func: None = None,
    /,
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    clock: Clock | None = None,
    seed: int | None = None,
    audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
) -> MockKMS: ...


def mock_kms(
    func: Callable[..., Any] | type | None = None,
    /,
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    clock: Clock | None = None,
    seed: int | None = None,
    audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
) -> Any:
    """Mock AWS KMS: ``@mock_kms``, ``@mock_kms(region=...)``, or ``with mock_kms() as kms``.

    Every activation starts with empty state; while one is active no ``kms``
    request leaves the process. ``region`` is used when a request names none,
    ``account_id`` owns every key, ``clock`` (default: the system clock, which
    follows freezegun and time-machine) drives scheduled events, ``seed``
    makes key ids, key material and nonces reproducible, and
    ``audit_log_limit`` (default 10,000; None: no limit) is how many records
    ``kms.audit_log`` keeps: the earliest are dropped and counted in
    ``kms.audit_log_dropped``.
    """
    mock = MockKMS(
        region=region,
        account_id=account_id,
        clock=clock,
        seed=seed,
        audit_log_limit=audit_log_limit,
    )
    if func is None:
        return mock
    return mock(func)


install()
