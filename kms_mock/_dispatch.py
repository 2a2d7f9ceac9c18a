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
from dataclasses import dataclass
from typing import Any

from ._errors import NotImplementedByMock, UnknownOperationException
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
    """One call as the service layer sees it: who, where, when, and which operation."""

    backend: Backend
    operation: str
    region: str
    account_id: str
    now: _dt.datetime
    request_id: str

    @property
    def store(self) -> RegionStore:
        """The caller's account/region store."""
        return self.backend.region(self.account_id, self.region)


def dispatch(
    backend: Backend, operation_name: str, params: Any, region: str | None, request_id: str
) -> Response:
    """Validate ``params`` and run ``operation_name`` against ``backend``.

    The whole call holds the backend's lock, after catching up with the clock,
    so every request sees the events due by its own moment.
    """
    handler = OPERATIONS.get(operation_name)
    if handler is None:
        if operation_name in service_model().operation_names:
            raise NotImplementedByMock(operation_name)
        raise UnknownOperationException(None)
    decoded = decode_request(operation_name, params)
    with backend.transaction() as now:
        request = Request(
            backend=backend,
            operation=operation_name,
            region=region or backend.default_region,
            account_id=backend.account_id,
            now=now,
            request_id=request_id,
        )
        return handler(request, decoded)
