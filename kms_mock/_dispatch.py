"""Operation registry and dispatch: AWS operation name -> service function.

Each operation is a function registered under its AWS name with
:func:`operation`; it receives a :class:`Request` and the validated, decoded
request members, and returns the response members as AWS names them. It
raises :class:`~kms_mock._errors.ServiceError` for AWS errors. Dispatch knows
nothing of HTTP: the wire layer calls :func:`dispatch`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import NotImplementedByMock, ServiceError, UnknownOperationException
from ._models import Key
from ._store import Backend, RegionStore
from ._validation import decode_request, service_model

Params = dict[str, Any]
Response = dict[str, Any]
Handler = Callable[["Request", Params], Response]

OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the server of KMS operation ``name``."""

    def register(handler: Handler) -> Handler:
        if name in OPERATIONS:
            raise RuntimeError(f"two handlers registered for {name}")
        OPERATIONS[name] = handler
        return handler

    return register


@dataclass(slots=True)
class Request:
    """One call as the service layer sees it: who, where, when, and which operation.

    Operations note what the audit log should show: the keys they touched
    (``touch``) and the key material a cryptographic call used. What only a
    successful call may do (store an AWS managed key that naming its alias
    made) waits in ``on_success`` effects, so a failed call changes nothing.
    """

    backend: Backend
    operation: str
    region: str
    account_id: str
    now: _dt.datetime
    request_id: str
    event_id: str
    user_agent: str = ""  # the caller's User-Agent header, for the audit log
    resources: list[str] = field(default_factory=list)
    key_material_id: str | None = None
    # Made on first use: most calls need none of them.
    _store: RegionStore | None = field(default=None, init=False, repr=False)
    _effects: list[Callable[[], None]] | None = field(default=None, init=False, repr=False)
    _provisional_keys: dict[str, Key] | None = field(default=None, init=False, repr=False)

    @property
    def store(self) -> RegionStore:
        """The caller's account/region store (the backend keeps a new one if the call succeeds)."""
        if self._store is None:
            self._store = self.backend.region(self.account_id, self.region)
        return self._store

    @property
    def provisional_keys(self) -> dict[str, Key]:
        """Keys this call made that are stored only if it succeeds, by the name that made them."""
        if self._provisional_keys is None:
            self._provisional_keys = {}
        return self._provisional_keys

    def on_success(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` once the operation has returned; never if it raises."""
        if self._effects is None:
            self._effects = []
        self._effects.append(effect)

    def succeed(self) -> None:
        """The operation returned: apply its effects, in order; keep a store it wrote to."""
        if self._effects is not None:
            for effect in self._effects:
                effect()
        if self._store is not None:
            self.backend.keep(self._store)

    def touch(self, key_arn: str) -> None:
        """Note that this call acted on the key ``key_arn`` (for the audit log)."""
        if key_arn not in self.resources:
            self.resources.append(key_arn)


def _serve(request: Request, params: Any) -> Response:
    handler = OPERATIONS.get(request.operation)
    if handler is None:
        if request.operation in service_model().operation_names:
            raise NotImplementedByMock(request.operation)
        raise UnknownOperationException(None)
    decoded = decode_request(request.operation, params, request.region)
    if "Recipient" in decoded:
        # decoded holds modeled members only, so this is every operation whose input
        # has Recipient. AWS answers those with CiphertextForRecipient, sealed for a
        # verified Nitro Enclaves attestation document, and never with Plaintext.
        raise NotImplementedByMock(
            f"{request.operation} with Recipient (Nitro Enclaves attestation)"
        )
    return handler(request, decoded)


def dispatch(
    backend: Backend,
    operation_name: str,
    params: Any,
    region: str | None,
    request_id: str,
    user_agent: str = "",
) -> Response:
    """Validate ``params``, run ``operation_name`` against ``backend``, audit the call.

    The whole call holds the backend's lock, after catching up with the clock,
    so every request sees the events due by its own moment.
    """
    with backend.lock:  # (not backend.transaction(): this is the hot path)
        now = backend.catch_up()
        request = Request(
            backend=backend,
            operation=operation_name,
            region=region or backend.default_region,
            account_id=backend.account_id,
            now=now,
            request_id=request_id,
            event_id=backend.audit.new_event_id(),
            user_agent=user_agent,
        )
        try:
            response = _serve(request, params)
        except ServiceError as error:
            backend.audit.api_call(request, params, None, error)
            raise
        request.succeed()
        backend.audit.api_call(request, params, response, None)
        return response
