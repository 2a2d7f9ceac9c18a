"""``mock_kms`` and its handle ``MockKMS``: decorator, context manager, start/stop.

One object serves every form (as time-machine's ``travel`` does): bare
decorator, decorator with arguments, class decorator, context manager, and
manual ``start()`` / ``stop()``. Every activation starts with empty state, and
each decorated call starts at the clock instant the decorator was given.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import functools
import inspect
import os
import unittest
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from . import (
    _active,
    _inspect,
    _key_stores,
    _operations,  # noqa: F401  (registers every served operation)
)
from ._active import Activation
from ._callers import (
    IdentityPolicies,
    IdentityPolicySetting,
    Principals,
    acting_as,
    attached_policies,
    check_service_name,
    parse_principal,
    via,
)
from ._clock import Clock, SystemClock, _MovableClock
from ._errors import UsageError
from ._faults import Faults
from ._inspect import CiphertextInfo, KeyMaterialInfo
from ._quotas import RequestQuotas, check_quota_values
from ._settings import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AUDIT_LOG_LIMIT,
    DEFAULT_REGION,
    check_account_id,
    check_audit_log_limit,
    check_clock,
    check_enforce_permissions,
    check_region,
    check_request_quotas,
    check_seed,
    check_state,
)
from ._state_file import StateFile, restore_clock
from ._store import DEFAULT_ON_DEMAND_ROTATION_LIMIT, DEFAULT_TRANSIENT_KEY_STATE_DELAY, Backend

_T = TypeVar("_T")
_R = TypeVar("_R")
_P = ParamSpec("_P")

# Where a decorated class keeps the activation of the test running on an
# instance, and of its class-level code on the class itself.
_TEST_ACTIVATION = "_kms_mock_test_activation"
_CLASS_ACTIVATION = "_kms_mock_class_activation"
# What kms_mock's own wrappers wrap (None: nothing), so that decorating a
# subclass of a decorated class wraps the original methods, not the wrappers.
_ORIGINAL = "_kms_mock_original"

Activations = Callable[[tuple[Any, ...]], AbstractContextManager[object]]


class MockKMS:
    """A configured mock of AWS KMS; active between ``start()`` and ``stop()``.

    ``with mock_kms() as kms:`` yields it. ``kms.clock`` is the clock that
    drives its scheduled events. After ``stop()`` the last activation's state
    stays readable (``audit_log``, ``key_materials``) until the next ``start()``.
    """

    def __init__(
        self,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        clock: Clock | None = None,
        seed: int | None = None,
        audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
        request_quotas: bool | Mapping[str, float] | None = None,
        enforce_permissions: bool = True,
        identity_policies: IdentityPolicySetting | None = None,
        state: str | os.PathLike[str] | None = None,
        state_read_only: bool = False,
    ) -> None:
        self.region = check_region(region)
        self.account_id = check_account_id(account_id)
        self.seed = check_seed(seed)
        self._given_clock = check_clock(clock)
        self._audit_log_limit = check_audit_log_limit(audit_log_limit)
        quotas = check_request_quotas(request_quotas)
        self._request_quotas = None if quotas is None else check_quota_values(quotas)
        self._faults: Faults | None = None
        self.clock: Clock = self._given_clock or SystemClock()
        # Whether the clock tells of its moves (see Clock); asked once.
        self._observable = all(
            callable(getattr(self.clock, name, None)) for name in ("subscribe", "unsubscribe")
        )
        # Where a given clock stands now: every decorated call starts there.
        self._clock_start = clock._checkpoint() if isinstance(clock, _MovableClock) else None
        self._rewinds_clock = False
        self._activation: Activation | None = None
        self._intercepting = False
        # The live activation's backend, or after stop() the last one's.
        self._last_backend: Backend | None = None
        self._on_demand_rotation_limit = DEFAULT_ON_DEMAND_ROTATION_LIMIT
        self._key_store_connection_delay = _key_stores.DEFAULT_CONNECTION_DELAY
        self._principals = Principals()
        self._transient_key_state_delay = DEFAULT_TRANSIENT_KEY_STATE_DELAY
        self._enforce_permissions = check_enforce_permissions(enforce_permissions)
        self._identity_policies = attached_policies(identity_policies)
        self._state_path, self._state_read_only = check_state(state, state_read_only)
        # The state file the running activation writes to (None: none, or read-only).
        self._state: StateFile | None = None

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"<MockKMS {state} region={self.region} account_id={self.account_id}>"

    @property
    def active(self) -> bool:
        """Whether this mock is running: serving requests, in-process or through a server."""
        return self._activation is not None

    @property
    def intercepting(self) -> bool:
        """Whether this mock is running and serves this process's botocore KMS clients."""
        return self._activation is not None and self._intercepting

    @property
    def _backend(self) -> Backend:
        """The state of the current (or, once stopped, the last) activation.

        Private: the Backend is no public type (the suite's tests/_helpers.py reads it).
        """
        if self._last_backend is None:
            raise UsageError(
                "this MockKMS has never been active: use it as a decorator or context "
                "manager, or call start() first."
            )
        return self._last_backend

    # -- activation -------------------------------------------------------

    def start(self, *, intercept: bool = True) -> MockKMS:
        """Activate with empty state; KMS calls are served until ``stop()``.

        ``intercept=False`` starts the mock without capturing this process's
        botocore clients: only a server (``kms_mock.server.serve(kms)``) serves it.
        """
        if self._activation is not None:
            raise UsageError(
                "this MockKMS is already active; call stop() first, or nest a new "
                "mock_kms(...) to start from empty state inside it."
            )
        if self._given_clock is None:
            self.clock = SystemClock()
        elif self._rewinds_clock and isinstance(self.clock, _MovableClock):
            self.clock._rewind(self._clock_start)
        activation = Activation(self._new_backend(restore=True))
        if intercept:
            _active.enter(activation)
        self._activation, self._intercepting = activation, intercept
        return self

    def reset(self) -> None:
        """Empty the running mock's state (keys, aliases, audit log); the clock stays put.

        It goes on serving as before (intercepting or not): a server's clients,
        and in-process clients, see an empty account from the next call on.
        """
        activation = self._activation
        if activation is None:
            raise UsageError("reset() empties a running mock: start() it first.")
        previous = activation.backend
        self._close(previous)  # its last changes are written before the state file is emptied
        activation.backend = self._new_backend(restore=False)

    def _new_backend(self, *, restore: bool) -> Backend:
        """Empty state with this mock's settings, kept as ``_last_backend``, told of clock moves.

        With a state file, ``restore`` loads what it holds (else the file is emptied).
        """
        backend = Backend(
            clock=self.clock,
            default_region=self.region,
            account_id=self.account_id,
            seed=self.seed,
            on_demand_rotation_limit=self._on_demand_rotation_limit,
            audit_log_limit=self._audit_log_limit,
            key_store_connection_delay=self._key_store_connection_delay,
            principals=self._principals,
            identity_policies=self._identity_policies,
            enforce_permissions=self._enforce_permissions,
            transient_key_state_delay=self._transient_key_state_delay,
        )
        if self._state_path is not None:
            self._keep_state(backend, restore)
        if self._observable:
            self.clock.subscribe(backend.on_time_moved)  # type: ignore[attr-defined]
        quotas = None if self._request_quotas is None else RequestQuotas(self._request_quotas)
        if self._faults is not None:
            self._faults.end()  # reset(): the old rules went with the old state
        self._faults = Faults(backend, self.seed, quotas)
        self._last_backend = backend
        return backend

    def _keep_state(self, backend: Backend, restore: bool) -> None:
        """Load the state file into ``backend`` (``restore``) or empty it; attach it unless
        read-only. The clock moves forward to where the saved one stood, before the
        backend listens to it: what fell due meanwhile happens at its first reading."""
        assert self._state_path is not None
        if not restore:  # reset(): the file (never a read-only one) is emptied too
            if self._state is not None:
                self._state.clear()
                self._state.attach(backend)
            return
        state = StateFile(self._state_path, read_only=self._state_read_only)
        try:
            saved_clock = state.load(backend)
            if saved_clock is not None:
                restore_clock(state.path, self.clock, saved_clock)
            if not self._state_read_only:
                state.attach(backend)
                self._state = state
        finally:
            if self._state is not state:
                state.close()

    def stop(self) -> None:
        """Deactivate; the previous mock (if nested) serves again. Idempotent."""
        activation, self._activation = self._activation, None
        if activation is None:
            return
        if self._faults is not None:
            self._faults.end()
        self._faults = None
        _active.leave(activation)
        self._close(activation.backend)
        if self._state is not None:
            self._state.close()
            self._state = None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the mock's whole state to the state file ``path``, as it stands now.

        The running mock's state, or after ``stop()`` the last activation's: keys with
        every material version (secrets included: a file for tests and development
        only), aliases, grants, custom key stores, the clock's position, registered
        principals and identity policies, and the audit log. ``mock_kms(state=path)``
        (or ``kms-mock serve --state path``) starts from it. A file that exists is
        replaced if it is a kms_mock state file, and refused (left as it is) if not.
        """
        backend = self._backend
        with backend.transaction():
            state = self._state
            if state is not None and state.path == StateFile.resolve(path):
                backend.commit(everything=True)
                return
            target = StateFile(path)
            try:
                target.snapshot(backend)
            finally:
                target.close()

    def _close(self, backend: Backend) -> None:
        if self._observable:
            self.clock.unsubscribe(backend.on_time_moved)  # type: ignore[attr-defined]
        backend.close()

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
        its rotation type (AUTOMATIC, ON_DEMAND; None for the first) and its state,
        and for imported material its origin, import state, expiration and description.
        Each key of a multi-Region key imports material on its own: pass its key ARN
        to see that key's imports (a bare key id names the first Region's key found).
        """
        return _inspect.key_materials(self._backend, key_id)

    def inspect_ciphertext(self, blob: bytes) -> CiphertextInfo:
        """Which key ARN and KeyMaterialId made ``blob`` (and its context digest)."""
        return _inspect.inspect_ciphertext(blob)

    @property
    def audit_log(self) -> list[dict[str, Any]]:
        """CloudTrail-shaped events of every call and service event, by event time."""
        backend = self._backend
        with backend.transaction():
            return backend.audit.events()

    @property
    def audit_log_dropped(self) -> int:
        """How many of the earliest audit log records were dropped to stay within the limit."""
        return self._backend.audit.dropped

    @property
    def on_demand_rotation_limit(self) -> int:
        """RotateKeyOnDemand calls allowed per key (AWS: 25; 10 before mid-2025)."""
        return self._on_demand_rotation_limit

    @on_demand_rotation_limit.setter
    def on_demand_rotation_limit(self, limit: int) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise UsageError(f"on_demand_rotation_limit={limit!r} must be an int >= 0.")
        self._on_demand_rotation_limit = limit
        if self._activation is not None:
            self._activation.backend.on_demand_rotation_limit = limit

    @property
    def key_store_connection_delay(self) -> _dt.timedelta:
        """How long a custom key store stays CONNECTING, or DISCONNECTING, on the mock clock.

        Default 5 seconds: ``kms.clock.advance(seconds=5)`` after ConnectCustomKeyStore
        finds the store CONNECTED. A zero delay completes the change before the next call.
        """
        return self._key_store_connection_delay

    @key_store_connection_delay.setter
    def key_store_connection_delay(self, delay: _dt.timedelta) -> None:
        self._key_store_connection_delay = _checked_delay("key_store_connection_delay", delay)
        if self._activation is not None:
            self._activation.backend.key_store_connection_delay = delay

    @property
    def transient_key_state_delay(self) -> _dt.timedelta:
        """How long multi-Region keys stay in their transient states, on the mock clock.

        A replica that ReplicateKey makes is ``Creating``, then ``Enabled`` (or
        ``PendingImport`` for imported material); UpdatePrimaryRegion swaps the roles at
        once and leaves both keys ``Updating``, then ``Enabled``. Meanwhile each
        operation answers as AWS's key-state table says (``KMSInvalidStateException:
        <key ARN> is creating.`` / ``is updating.``). Default zero: over by the next call
        (only ReplicateKey's response shows ``Creating``). Set it to test code that waits
        for a replica: ``kms.clock.advance(kms.transient_key_state_delay)`` ends the state.
        """
        return self._transient_key_state_delay

    @transient_key_state_delay.setter
    def transient_key_state_delay(self, delay: _dt.timedelta) -> None:
        self._transient_key_state_delay = _checked_delay("transient_key_state_delay", delay)
        if self._activation is not None:
            self._activation.backend.transient_key_state_delay = delay

    def fail_key_store_connection(
        self, custom_key_store_id: str, connection_error_code: str
    ) -> None:
        """Make a custom key store's connection fail, to test how your code handles it.

        The connection in progress (the store is CONNECTING), or else the next one that
        ConnectCustomKeyStore starts, ends with ConnectionState FAILED and this
        ConnectionErrorCode (one the model lists for the store's type, such as
        ``NETWORK_ERRORS`` or ``XKS_PROXY_NOT_REACHABLE``). As in AWS, the store then has
        to be disconnected before it can connect again; that attempt succeeds.
        """
        if self._activation is None:
            # The last activation's state stays as it ended, for reading.
            raise UsageError(
                "fail_key_store_connection() acts on a running mock: call it inside the "
                "decorated test or the with block (or after start())."
            )
        backend = self._activation.backend
        with backend.transaction():
            stores = {
                store.store_id: store
                for region in backend.region_stores()
                for store in region.key_stores.values()
            }
            _key_stores.fail_connection(stores, custom_key_store_id, connection_error_code)

    # -- faults -----------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The fault rules of this activation: ``kms.faults.error("ThrottlingException", ...)``.

        See docs/faults.md: KMS errors, connection errors, read timeouts and delays on
        chosen calls, answered where botocore retries. Rules end with the activation.
        """
        if self._faults is None:
            raise UsageError(
                "fault rules belong to an activation, and this MockKMS is not active: add "
                "them inside the decorated test or the with block (or after start())."
            )
        return self._faults

    @property
    def request_quotas(self) -> dict[str, float] | None:
        """The request quotas setting: None (off), {} (AWS's defaults) or custom values."""
        return None if self._request_quotas is None else dict(self._request_quotas)

    # -- callers ----------------------------------------------------------

    @property
    def principals(self) -> Principals:
        """The principals registered with this mock: ``kms.principals.register(arn)``.

        ``register`` returns credentials for ``boto3.client("kms", **credentials)``;
        that client's calls are made by ``arn``. Registrations are part of the
        mock's configuration: they outlast ``stop()``, and each decorated call
        starts with those made before it.
        """
        return self._principals

    @property
    def iam(self) -> IdentityPolicies:
        """The IAM identity policies of principals: ``kms.iam.attach(arn, policy)``.

        ``attach`` takes a user or role ARN and a policy (JSON text or dict); a
        role's policies apply to its sessions. ``detach(arn)`` removes them,
        ``attached(arn)`` lists them. Like registrations, attachments are
        configuration: they outlast ``stop()``, and each decorated call starts
        with those made before it.
        """
        return self._identity_policies

    @property
    def enforce_permissions(self) -> bool:
        """Whether key policies, identity policies and grants decide each call (default True).

        The default caller, the account root, is allowed everything under the
        default key policy, so a suite that names no principal sees no change.
        Set it False for moto-like leniency: every call is allowed.
        """
        return self._enforce_permissions

    @enforce_permissions.setter
    def enforce_permissions(self, enforce: bool) -> None:
        self._enforce_permissions = check_enforce_permissions(enforce)
        if self._activation is not None:
            self._activation.backend.enforce_permissions = enforce

    def as_principal(self, arn: str) -> AbstractContextManager[None]:
        """``with kms.as_principal(arn):``: calls of this thread or asyncio task made by ``arn``.

        It applies to clients without registered credentials (theirs name their
        principal), is local to the thread or task that enters it (tasks created
        inside inherit it), and nests. ``arn`` is an account root, IAM user, IAM
        role or assumed-role session ARN in any 12-digit account; a role calls
        through its session ``kms-mock``.
        """
        return acting_as(parse_principal(arn))

    def via_service(self, service: str) -> AbstractContextManager[None]:
        """``with kms.via_service("s3"):``: calls of this thread or task made through a service.

        As an integrated service makes them on the caller's behalf: the call
        carries kms:ViaService ``<service>.<region>.amazonaws.com`` and the audit
        log names the service (``invokedBy``). Local to the thread or task, like
        ``as_principal``.
        """
        return via(check_service_name(service))

    # -- decoration -------------------------------------------------------

    def _fresh(self) -> MockKMS:
        """A copy with the same (checked) settings, for one decorated call (or one test)."""
        fresh = copy.copy(self)
        fresh._activation = fresh._last_backend = fresh._faults = fresh._state = None
        fresh._principals = self._principals.copy()
        fresh._identity_policies = self._identity_policies.copy()
        fresh._rewinds_clock = True
        return fresh

    def _fresh_per_call(self, args: tuple[Any, ...]) -> AbstractContextManager[object]:
        return self._fresh()

    def _test_activation(self, args: tuple[Any, ...]) -> AbstractContextManager[object]:
        """The activation of the test running on instance ``args[0]``, else a fresh one.

        Under pytest, the wrapped ``setup_method`` has started one for the test;
        a method called any other way gets its own.
        """
        running = getattr(args[0], _TEST_ACTIVATION, None) if args else None
        if isinstance(running, MockKMS) and running.active:
            return contextlib.nullcontext()
        return self._fresh()

    @overload
    def __call__(self, target: type[_T]) -> type[_T]: ...

    @overload
    def __call__(self, target: Callable[_P, _R]) -> Callable[_P, _R]: ...

    def __call__(self, target: Any) -> Any:
        """Decorate a function (sync or async, plain or generator) or a test class."""
        if inspect.isclass(target):
            return self._decorate_class(target)
        if callable(target):
            return _decorate(target, self._fresh_per_call)
        raise UsageError(
            f"mock_kms cannot decorate {target!r}: decorate a function, a coroutine "
            "function or a class, or use it as a context manager."
        )

    def _decorate_class(self, cls: type[_T]) -> type[_T]:
        if issubclass(cls, unittest.TestCase):
            self._decorate_testcase(cls)
            return cls
        self._wrap_class_level(cls)
        self._wrap_test_level(cls)
        # dir() includes test methods inherited from undecorated base classes;
        # the wrappers go on ``cls`` itself, so the base classes stay unchanged.
        for name in dir(cls):
            if name.startswith("test"):
                self._wrap_test_method(cls, name)
        return cls

    def _decorate_testcase(self, cls: type[unittest.TestCase]) -> None:
        # Start in setUp so that setUp itself is inside the mock; stop as a
        # cleanup so that tearDown is too.
        original_setup = _unwrapped(cls.setUp)

        @functools.wraps(original_setup)
        def setUp(test: unittest.TestCase) -> None:
            mock = self._fresh().start()
            test.addCleanup(mock.stop)
            original_setup(test)

        _mark(setUp, original_setup)
        cls.setUp = setUp  # type: ignore[method-assign,assignment]

    def _wrap_test_level(self, cls: type) -> None:
        """One activation per test: from ``setup_method`` to ``teardown_method``.

        pytest runs both as fixtures ahead of (and behind) every fixture the
        class defines, so the test's fixtures run inside the activation too.
        """
        setup, teardown = _original(cls, "setup_method"), _original(cls, "teardown_method")

        def setup_method(test: Any, method: Any = None) -> None:
            mock = self._fresh().start()
            setattr(test, _TEST_ACTIVATION, mock)
            try:
                _call_xunit(setup, test, method)
            except BaseException:
                _stop_test_activation(test)  # pytest runs no teardown after a failed setup
                raise

        def teardown_method(test: Any, method: Any = None) -> None:
            try:
                _call_xunit(teardown, test, method)
            finally:
                _stop_test_activation(test)

        cls.setup_method = _mark(setup_method, setup)  # type: ignore[attr-defined]
        cls.teardown_method = _mark(teardown_method, teardown)  # type: ignore[attr-defined]

    def _wrap_class_level(self, cls: type) -> None:
        """Class-level code (``setup_class``, class-scoped fixtures) in an activation of its own."""
        setup, teardown = _original(cls, "setup_class"), _original(cls, "teardown_class")

        def setup_class(owner: type) -> None:
            mock = self._fresh().start()
            setattr(owner, _CLASS_ACTIVATION, mock)
            try:
                _call_xunit(setup, owner)
            except BaseException:
                _stop_class_activation(owner)
                raise

        def teardown_class(owner: type) -> None:
            try:
                _call_xunit(teardown, owner)
            finally:
                _stop_class_activation(owner)

        cls.setup_class = classmethod(_mark(setup_class, setup))  # type: ignore[attr-defined]
        cls.teardown_class = classmethod(_mark(teardown_class, teardown))  # type: ignore[attr-defined]

    def _wrap_test_method(self, cls: type, name: str) -> None:
        member = inspect.getattr_static(cls, name)
        if isinstance(member, staticmethod | classmethod):
            # Keep the descriptor: a bare wrapper would be bound as a method.
            if inspect.isfunction(member.__func__):
                wrapped = _decorate(_unwrapped(member.__func__), self._fresh_per_call)
                setattr(cls, name, type(member)(wrapped))
        elif inspect.isfunction(member):
            setattr(cls, name, _decorate(_unwrapped(member), self._test_activation))


def _mark(wrapper: _T, original: object) -> _T:
    setattr(wrapper, _ORIGINAL, original)
    return wrapper


def _unwrapped(func: Any) -> Any:
    """``func`` without kms_mock's wrappers (a decorated class's subclass, decorated)."""
    while hasattr(func, _ORIGINAL):
        func = getattr(func, _ORIGINAL)
    return func


def _original(cls: type, name: str) -> Any:
    """The function behind ``cls.<name>`` (unwrapped), or None when the class has none."""
    try:
        member = inspect.getattr_static(cls, name)
    except AttributeError:
        return None
    if isinstance(member, staticmethod | classmethod):
        member = member.__func__
    return _unwrapped(member)


def _call_xunit(func: Any, *args: Any) -> None:
    """Call an xunit-style setup/teardown with as many of ``args`` as it takes, as pytest does."""
    if func is None:
        return
    count = func.__code__.co_argcount if hasattr(func, "__code__") else len(args)
    func(*args[:count])


def _stop_test_activation(test: Any) -> None:
    mock = test.__dict__.pop(_TEST_ACTIVATION, None)
    if mock is not None:
        mock.stop()


def _stop_class_activation(owner: type) -> None:
    mock = owner.__dict__.get(_CLASS_ACTIVATION)
    if mock is not None:
        delattr(owner, _CLASS_ACTIVATION)
        mock.stop()


def _decorate(func: Callable[..., Any], activation: Activations) -> Callable[..., Any]:
    """``func`` run inside ``activation(args)``, for as long as the call runs.

    A generator (sync or async) runs for as long as it is iterated, as a pytest
    yield fixture's set-up and teardown do, so the activation spans both.
    """
    wrapper: Callable[..., Any]
    if inspect.isasyncgenfunction(func):
        wrapper = _async_generator(func, activation)
    elif inspect.iscoroutinefunction(func):
        wrapper = _coroutine(func, activation)
    elif inspect.isgeneratorfunction(func):
        wrapper = _generator(func, activation)
    else:
        wrapper = _plain(func, activation)
    return _mark(functools.wraps(func)(wrapper), func)


def _plain(func: Callable[..., Any], activation: Activations) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with activation(args):
            return func(*args, **kwargs)

    return wrapper


def _coroutine(
    func: Callable[..., Awaitable[Any]], activation: Activations
) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        with activation(args):
            return await func(*args, **kwargs)

    return wrapper


def _generator(func: Callable[..., Iterator[Any]], activation: Activations) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with activation(args):
            return (yield from func(*args, **kwargs))

    return wrapper


def _async_generator(
    func: Callable[..., AsyncIterator[Any]], activation: Activations
) -> Callable[..., AsyncIterator[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        with activation(args):
            generator: Any = func(*args, **kwargs)
            try:
                item = await generator.__anext__()
                while True:
                    try:
                        sent = yield item
                    except GeneratorExit:
                        raise
                    except BaseException as error:  # thrown in: hand it on
                        item = await generator.athrow(error)
                    else:
                        item = await generator.asend(sent)
            except StopAsyncIteration:
                return
            finally:
                await generator.aclose()

    return wrapper


@overload
def mock_kms(func: type[_T], /) -> type[_T]: ...


@overload
def mock_kms(func: Callable[_P, _R], /) -> Callable[_P, _R]: ...


@overload
def mock_kms(
    func: None = None,
    /,
    *,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    clock: Clock | None = None,
    seed: int | None = None,
    audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
    request_quotas: bool | Mapping[str, float] | None = None,
    enforce_permissions: bool = True,
    identity_policies: IdentityPolicySetting | None = None,
    state: str | os.PathLike[str] | None = None,
    state_read_only: bool = False,
) -> MockKMS: ...


def mock_kms(
    func: Callable[..., Any] | type | None = None,
    /,
    *,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    clock: Clock | None = None,
    seed: int | None = None,
    audit_log_limit: int | None = DEFAULT_AUDIT_LOG_LIMIT,
    request_quotas: bool | Mapping[str, float] | None = None,
    enforce_permissions: bool = True,
    identity_policies: IdentityPolicySetting | None = None,
    state: str | os.PathLike[str] | None = None,
    state_read_only: bool = False,
) -> Any:
    """Mock AWS KMS: ``@mock_kms``, ``@mock_kms(region=...)``, or ``with mock_kms() as kms``.

    Every activation starts with empty state; while one is active no ``kms``
    request from its thread or task leaves the process. ``region`` is used when
    a request names none, ``account_id`` owns every key, ``clock`` (default: the
    system clock, which follows freezegun and time-machine) drives scheduled
    events, ``seed`` makes key ids, key material and nonces reproducible, and
    ``audit_log_limit`` (default 10,000; None: no limit) is how many records
    ``kms.audit_log`` keeps: the earliest are dropped and counted in
    ``kms.audit_log_dropped``. ``request_quotas`` turns on AWS's requests-per-second
    quotas, measured on the mock clock: True for AWS's defaults, or a dict of custom
    values by quota name (see docs/faults.md). ``enforce_permissions`` (default True)
    makes key policies, identity policies and grants decide each call;
    ``identity_policies`` maps user and role ARNs to the IAM policies attached to them
    (a list of JSON texts or dicts), as ``kms.iam.attach`` does. ``state`` is the path of
    a state file (SQLite): each activation starts from what it holds (created if absent)
    and every change is written to it before the call is answered;
    ``state_read_only=True`` starts from it and never writes to it (see docs/state.md).
    """
    mock = MockKMS(
        region=region,
        account_id=account_id,
        clock=clock,
        seed=seed,
        audit_log_limit=audit_log_limit,
        request_quotas=request_quotas,
        enforce_permissions=enforce_permissions,
        identity_policies=identity_policies,
        state=state,
        state_read_only=state_read_only,
    )
    if func is None:
        return mock
    return mock(func)


def _checked_delay(name: str, delay: object) -> _dt.timedelta:
    """``delay`` if it is a duration of mock time (a timedelta, not negative)."""
    if not isinstance(delay, _dt.timedelta) or delay < _dt.timedelta(0):
        raise UsageError(
            f"{name}={delay!r} must be a datetime.timedelta >= 0, such as timedelta(seconds=5)."
        )
    return delay
