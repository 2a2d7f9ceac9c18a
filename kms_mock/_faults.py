"""Fault rules: KMS errors, broken connections and delays on demand (``kms.faults``).

The rules of one activation screen every request inside dispatch, before the
operation runs: an injected error is a KMS answer (audited, marked injected),
a transport failure propagates to the transport, which fails the attempt as a
broken socket would, and a delay waits, then lets later rules act. The botocore
hook answers a call that a rule names (any call, under request quotas) at
``before-send``, so botocore's retry loop sees every attempt; other calls keep
the fast path.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import functools
import random
import re
import time
from collections.abc import Callable, Collection
from types import TracebackType
from typing import TYPE_CHECKING, Any

from botocore.loaders import create_loader

from ._errors import (
    CONNECTION_ERROR,
    READ_TIMEOUT,
    THROTTLED_MESSAGE,
    ServiceError,
    TransportFault,
    UsageError,
)
from ._shapes import service_model
from ._targets import key_arn_named, key_arns_named

if TYPE_CHECKING:
    from ._audit import AuditedCall
    from ._quotas import RequestQuotas
    from ._store import Backend

_THROTTLING = "ThrottlingException"
_TAG = re.compile(r"<[^>]+>")

Predicate = Callable[[dict[str, Any]], bool]


class InjectedError(ServiceError):
    """A KMS error that a fault rule answers with."""

    injected = True

    def __init__(self, code: str, status: int, message: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@functools.cache
def _error_shapes() -> dict[str, Any]:
    return {shape.name: shape for shape in service_model().error_shapes}


@functools.cache
def _server_faults() -> frozenset[str]:
    """The errors the model marks ``"fault": true`` (botocore's Shape does not keep the mark)."""
    shapes = create_loader().load_service_model("kms", "service-2")["shapes"]
    return frozenset(name for name, shape in shapes.items() if shape.get("fault"))


def injected_error(code: object, message: str | None) -> InjectedError:
    """The error ``code`` as AWS answers it: its HTTP status from the model, a message."""
    if not isinstance(code, str):
        raise UsageError(f"code={code!r} must be a KMS error code such as 'ThrottlingException'.")
    if code == _THROTTLING:
        return InjectedError(_THROTTLING, 400, THROTTLED_MESSAGE if message is None else message)
    shapes = _error_shapes()
    shape = shapes.get(code)
    if shape is None:
        close = difflib.get_close_matches(code, [_THROTTLING, *shapes], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            f"{code!r} is not an error KMS returns: use {_THROTTLING}, an error shape of "
            f"botocore's KMS model{hint}."
        )
    # The model marks server errors "fault"; AWS's API reference gives them HTTP 500.
    status = 500 if code in _server_faults() else 400
    if message is None:
        # AWS's text for these is not recorded: the model's description of the error.
        message = _TAG.sub("", shape.documentation).strip()
    return InjectedError(code, status, message)


@dataclasses.dataclass(frozen=True, slots=True)
class _Match:
    """Which requests a rule applies to."""

    operations: frozenset[str] | None  # None: every operation
    key: str | None
    when: Predicate | None


class FaultRule:
    """One fault rule: what it does, to which calls, how often; ``fired`` counts its firings.

    ``rule.remove()`` ends it; ``with kms.faults.error(...):`` ends it with the block.
    """

    def __init__(
        self,
        faults: Faults,
        description: str,
        action: Callable[[], None],
        match: _Match,
        *,
        times: int | None,
        skip: int,
        probability: float | None,
    ) -> None:
        self._faults = faults
        self._description = description
        self._action = action
        self._match = match
        self._times = times
        self._skip = skip
        self._probability = probability
        #: How many calls this rule has acted on.
        self.fired = 0

    def __repr__(self) -> str:
        return f"<FaultRule {self._description} fired={self.fired}>"

    @property
    def description(self) -> str:
        """The call that added it and its filters, such as ``error('ThrottlingException')``."""
        return self._description

    def remove(self) -> None:
        """End this rule (removing it twice is harmless)."""
        self._faults._remove(self)

    def __enter__(self) -> FaultRule:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()

    def _matches(self, request: AuditedCall, params: Any, keys: Callable[[], list[str]]) -> bool:
        match = self._match
        if match.operations is not None and request.operation not in match.operations:
            return False
        if match.key is not None:
            backend = self._faults._backend
            arn = key_arn_named(backend, match.key, request.account_id, request.region)
            if arn is None or arn not in keys():
                return False
        return match.when is None or (isinstance(params, dict) and bool(match.when(params)))

    def _fires(self, rng: random.Random) -> bool:
        """Called for each matching call: whether the rule acts on it (and count it)."""
        if self._times is not None and self.fired >= self._times:
            return False
        if self._skip > 0:
            self._skip -= 1
            return False
        if self._probability is not None and rng.random() >= self._probability:
            return False
        self.fired += 1
        return True


class Faults:
    """The fault rules of one activation: ``kms.faults``.

    Each method adds a rule and returns it. Every rule takes the same filters:
    ``operation`` (a KMS operation name, several, or None for all), ``key`` (a key
    id, key ARN, alias name or alias ARN, resolved as AWS resolves it for the
    caller's account and the request's Region; a Decrypt matches the key its
    ciphertext names), ``when`` (a predicate on the request's JSON members, as
    sent: blobs in base64), and how often: ``times`` (at most that many calls;
    None: every one), ``skip`` (let that many matching calls pass first) and
    ``probability`` (each matching call, drawn from the mock's ``seed``:
    reproducible with one, varying without). Every attempt botocore makes is a
    call. Rules are tried in the order they were added; the first that fires
    answers (a delay lets the later ones act). Rules end with the activation.
    """

    def __init__(
        self, backend: Backend, seed: int | None, quotas: RequestQuotas | None = None
    ) -> None:
        self._backend = backend
        self._quotas = quotas
        self._rules: list[FaultRule] = []
        # The rules that apply to each operation named by some rule, in order, and
        # those that apply to every operation: a call meets only its own.
        self._by_operation: dict[str, tuple[FaultRule, ...]] = {}
        self._everywhere: tuple[FaultRule, ...] = ()
        self._seed = seed
        self._rng: random.Random | None = None  # made by the first rule (seeding costs)
        # Set when the activation ends or is reset: a rule added then would never fire.
        self._ended = False
        self._refresh_gate()

    def end(self) -> None:
        """The activation ended (or was reset): the rules stay readable, none can be added."""
        self._ended = True

    @property
    def _draws(self) -> random.Random:
        # Its own stream: drawing never shifts the seeded key ids and material.
        if self._rng is None:
            seed = self._seed
            self._rng = random.Random(None if seed is None else f"kms_mock faults {seed}")
        return self._rng

    @property
    def rules(self) -> list[FaultRule]:
        """The rules in force, oldest first."""
        with self._backend.lock:
            return list(self._rules)

    def error(
        self,
        code: str,
        *,
        message: str | None = None,
        operation: str | Collection[str] | None = None,
        key: str | None = None,
        when: Predicate | None = None,
        times: int | None = None,
        skip: int = 0,
        probability: float | None = None,
    ) -> FaultRule:
        """Answer matching calls with the KMS error ``code``, such as ``ThrottlingException``.

        The HTTP status is the one AWS sends (500 for the errors the model marks as
        server faults: KMSInternalException, DependencyTimeoutException,
        KeyUnavailableException; 400 otherwise), with no Retry-After header. The
        message is AWS's where recorded (ThrottlingException), else the model's
        description of the error, unless ``message`` is given.
        """
        error = injected_error(code, message)

        def answer() -> None:
            raise InjectedError(error.code, error.status, error.message)

        return self._add(
            "error", [repr(code)], answer, operation, key, when, times, skip, probability
        )

    def connection_error(
        self,
        *,
        operation: str | Collection[str] | None = None,
        key: str | None = None,
        when: Predicate | None = None,
        times: int | None = None,
        skip: int = 0,
        probability: float | None = None,
    ) -> FaultRule:
        """Reset the connection of matching calls, before KMS sees them.

        botocore raises ``ConnectionClosedError``, as for a socket reset by the peer,
        and retries it as such; the call does not reach the service (nothing changes,
        nothing is audited).
        """
        fail = _transport(CONNECTION_ERROR)
        return self._add(CONNECTION_ERROR, [], fail, operation, key, when, times, skip, probability)

    def read_timeout(
        self,
        *,
        operation: str | Collection[str] | None = None,
        key: str | None = None,
        when: Predicate | None = None,
        times: int | None = None,
        skip: int = 0,
        probability: float | None = None,
    ) -> FaultRule:
        """Time out matching calls while botocore reads the answer: ``ReadTimeoutError``.

        As ``connection_error``, the call does not reach the service.
        """
        fail = _transport(READ_TIMEOUT)
        return self._add(READ_TIMEOUT, [], fail, operation, key, when, times, skip, probability)

    def delay(
        self,
        seconds: float | _dt.timedelta,
        *,
        mock_time: bool = False,
        operation: str | Collection[str] | None = None,
        key: str | None = None,
        when: Predicate | None = None,
        times: int | None = None,
        skip: int = 0,
        probability: float | None = None,
    ) -> FaultRule:
        """Delay matching calls by ``seconds``, then let them (and later rules) go on.

        Real time by default (the call sleeps: test timeouts, with short delays); with
        ``mock_time=True`` the mock's clock moves forward by the delay instead (for code
        that measures elapsed time on the mock clock; scheduled events fall due).
        """
        span = _checked_delay(seconds)
        if mock_time:
            clock = self._backend.clock
            if not callable(getattr(clock, "advance", None)):
                raise UsageError(
                    f"delay(mock_time=True) moves the mock's clock, and {clock!r} cannot be "
                    "moved: use a FrozenClock or the SystemClock."
                )

            def wait() -> None:
                clock.advance(span)  # type: ignore[attr-defined]

        else:

            def wait() -> None:
                # Other threads' calls go on meanwhile, as at a real endpoint.
                lock = self._backend.lock
                lock.release()
                try:
                    time.sleep(span.total_seconds())
                finally:
                    lock.acquire()

        shown = [repr(seconds), f"mock_time={mock_time}"]
        return self._add("delay", shown, wait, operation, key, when, times, skip, probability)

    def clear(self) -> None:
        """Remove every rule."""
        with self._backend.lock:
            self._rules.clear()
            self._refresh_gate()

    def assert_all_fired(self) -> None:
        """Fail (AssertionError) if a rule in force has never fired, naming each."""
        idle = [rule for rule in self.rules if rule.fired == 0]
        if idle:
            plural = "s" if len(idle) > 1 else ""
            listed = "\n".join(f"  {rule._description}" for rule in idle)
            raise AssertionError(
                f"{len(idle)} fault rule{plural} never fired:\n{listed}\n"
                "No call matched: check the operation, key and filters, or remove the rule."
            )

    def screen(self, request: AuditedCall, params: Any) -> None:
        """Apply the rules and quotas to one call (dispatch calls it, under the backend's lock)."""
        found: list[str] | None = None

        def keys() -> list[str]:
            nonlocal found
            if found is None:
                found = key_arns_named(self._backend, params, request.account_id, request.region)
            return found

        for rule in self._by_operation.get(request.operation, self._everywhere):
            if rule._matches(request, params, keys) and rule._fires(self._draws):
                rule._action()
        if self._quotas is not None:
            self._quotas.admit(self._backend, request, params)

    def _add(
        self,
        method: str,
        arguments: list[str],
        action: Callable[[], None],
        operation: str | Collection[str] | None,
        key: str | None,
        when: Predicate | None,
        times: int | None,
        skip: int,
        probability: float | None,
    ) -> FaultRule:
        if self._ended:
            raise UsageError(
                "these fault rules belonged to an activation that has ended (or was reset): "
                "add rules through kms.faults while the mock runs."
            )
        match = _Match(_checked_operations(operation), _checked_key(key), _checked_when(when))
        shown = [
            *arguments,
            *(f"{name}={value!r}" for name, value in _shown_filters(operation, key)),
        ]
        rule = FaultRule(
            self,
            f"{method}({', '.join(shown)})",
            action,
            match,
            times=_checked_times(times),
            skip=_checked_skip(skip),
            probability=_checked_probability(probability),
        )
        with self._backend.lock:
            self._rules.append(rule)
            self._refresh_gate()
        return rule

    def _remove(self, rule: FaultRule) -> None:
        with self._backend.lock:
            if rule in self._rules:
                self._rules.remove(rule)
            self._refresh_gate()

    def screens(self, operation: str) -> bool:
        """Whether a rule or quota may fail or delay calls of ``operation``."""
        return self._quotas is not None or bool(self._everywhere) or operation in self._by_operation

    def _refresh_gate(self) -> None:
        rules = self._rules
        self._everywhere = tuple(rule for rule in rules if rule._match.operations is None)
        named = {name for rule in rules for name in rule._match.operations or ()}
        self._by_operation = {
            name: tuple(
                rule
                for rule in rules
                if rule._match.operations is None or name in rule._match.operations
            )
            for name in named
        }
        # No rule and no quota: dispatch and the botocore hook's fast path skip the gate.
        self._backend.gate = self if rules or self._quotas is not None else None


def _shown_filters(operation: object, key: object) -> list[tuple[str, object]]:
    """The filters a rule was given, for its description."""
    return [
        (name, value)
        for name, value in (("operation", operation), ("key", key))
        if value is not None
    ]


def _transport(kind: str) -> Callable[[], None]:
    def fail() -> None:
        raise TransportFault(kind)

    return fail


def _checked_operations(operation: object) -> frozenset[str] | None:
    if operation is None:
        return None
    names = [operation] if isinstance(operation, str) else operation
    if not isinstance(names, Collection) or not names:
        raise UsageError(
            f"operation={operation!r} must be a KMS operation name, a collection of them, "
            "or None for every operation."
        )
    known = service_model().operation_names
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"operation {name!r} is not a KMS operation{hint}.")
    return frozenset(names)


def _checked_key(key: object) -> str | None:
    if key is not None and (not isinstance(key, str) or not key):
        raise UsageError(
            f"key={key!r} must be a key id, key ARN, alias name or alias ARN, or None."
        )
    return key


def _checked_when(when: Predicate | None) -> Predicate | None:
    if when is not None and not callable(when):
        raise UsageError(f"when={when!r} must be a function of the request's members, or None.")
    return when


def _checked_times(times: object) -> int | None:
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise UsageError(f"times={times!r} must be an int >= 1, or None for every matching call.")
    return times


def _checked_skip(skip: object) -> int:
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise UsageError(f"skip={skip!r} must be an int >= 0.")
    return skip


def _checked_probability(probability: object) -> float | None:
    if probability is None:
        return None
    if (
        not isinstance(probability, int | float)
        or isinstance(probability, bool)
        or not 0 <= probability <= 1
    ):
        raise UsageError(f"probability={probability!r} must be a number between 0 and 1.")
    return float(probability)


def _checked_delay(seconds: object) -> _dt.timedelta:
    if isinstance(seconds, _dt.timedelta):
        span = seconds
    elif isinstance(seconds, int | float) and not isinstance(seconds, bool):
        span = _dt.timedelta(seconds=seconds)
    else:
        span = _dt.timedelta(-1)
    if span < _dt.timedelta(0):
        raise UsageError(f"delay={seconds!r} must be a number of seconds >= 0 or a timedelta.")
    return span
