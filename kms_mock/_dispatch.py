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

from . import _rotation
from ._arns import alias_arn
from ._audit import is_read_only
from ._aws_managed import derive_aws_managed_key
from ._callers import Principal, acting_principal, root_principal, via_service_endpoint
from ._errors import NotImplementedByMock, ServiceError, UnknownOperationException
from ._grants import check_grant_tokens
from ._models import Alias, Key
from ._permissions import ACCOUNT_LEVEL_OPERATIONS, authorize_account
from ._shapes import service_model
from ._store import Backend, RegionStore
from ._validation import decode_request

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

    ``principal`` made the call; its account (``account_id``) is the one whose
    keys and aliases unqualified identifiers name. ``access_key_id`` is set when
    the call came with registered credentials, ``via_service`` (kms:ViaService,
    such as ``s3.us-east-1.amazonaws.com``) when an integrated service made it
    on the principal's behalf.

    Operations note what the audit log should show: the keys they acted on
    (``note_audit_resource``) and the key material a cryptographic call used.
    Finding a key changes nothing: an AWS managed key that naming its alias
    calls for is provisional (``provisional_key``) and stored by ``succeed``,
    which dispatch calls only when the operation returned.
    """

    backend: Backend
    operation: str
    region: str
    account_id: str
    now: _dt.datetime
    request_id: str
    event_id: str
    principal: Principal
    user_agent: str = ""  # the caller's User-Agent header, for the audit log
    access_key_id: str | None = None
    via_service: str | None = None
    params: Params = field(default_factory=dict)  # the decoded request, once validated
    resources: list[str] = field(default_factory=list)
    key_material_id: str | None = None
    # Made on first use: most calls need neither.
    _store: RegionStore | None = field(default=None, init=False, repr=False)
    _provisional_keys: dict[str, Key] | None = field(default=None, init=False, repr=False)

    @property
    def store(self) -> RegionStore:
        """The caller's account/region store (the backend keeps a new one if the call succeeds)."""
        if self._store is None:
            self._store = self.backend.region_store(self.account_id, self.region)
        return self._store

    def provisional_key(self, alias_name: str) -> Key | None:
        """The AWS managed key of the predefined alias ``alias_name``, not stored yet.

        One object however often this call names the alias; :meth:`succeed`
        stores it. None when ``alias_name`` is not a predefined alias.
        """
        if self._provisional_keys is None:
            self._provisional_keys = {}
        key = self._provisional_keys.get(alias_name)
        if key is None:
            key = derive_aws_managed_key(
                self.backend, self.account_id, self.region, alias_name, self.now
            )
            if key is not None:
                self._provisional_keys[alias_name] = key
        return key

    def succeed(self) -> None:
        """The operation returned: store its provisional keys; keep a store it wrote to.

        With a state file, note what the call touched: written before the answer if the
        operation changes state, else with the next write (a read's last use of a key).
        """
        if self._provisional_keys:
            for alias_name, key in self._provisional_keys.items():
                self._store_aws_managed_key(alias_name, key)
        if self._store is not None:
            self.backend.keep(self._store)
        changes = self.backend.changes
        if changes is not None:
            changes.note_call(self.resources, self._store, writes=not is_read_only(self.operation))

    def _store_aws_managed_key(self, alias_name: str, key: Key) -> None:
        store = self.store
        if alias_name in store.aliases:
            # Another call stored it while this one had let go of the lock (to make
            # a key pair): the same key, for its id and material derive alike.
            return
        store.add_key(key)
        store.add_alias(
            Alias(
                name=alias_name,
                arn=alias_arn(self.region, self.account_id, alias_name),
                target_key_id=key.key_id,
                created_at=self.now,
                last_updated_at=self.now,
            )
        )
        _rotation.start_aws_managed(self.backend, key)

    def note_audit_resource(self, key_arn: str) -> None:
        """Name the key ``key_arn`` among the resources of this call's audit record."""
        if key_arn not in self.resources:
            self.resources.append(key_arn)


def _serve(request: Request, params: Any) -> Response:
    handler = OPERATIONS.get(request.operation)
    if handler is None:
        if request.operation in service_model().operation_names:
            raise NotImplementedByMock(request.operation)
        raise UnknownOperationException(None)
    decoded = request.params = decode_request(request.operation, params, request.region)
    if "Recipient" in decoded:
        # decoded holds modeled members only, so this is every operation whose input
        # has Recipient. AWS answers those with CiphertextForRecipient, sealed for a
        # verified Nitro Enclaves attestation document, and never with Plaintext.
        raise NotImplementedByMock(
            f"{request.operation} with Recipient (Nitro Enclaves attestation)"
        )
    tokens = decoded.get("GrantTokens")
    if tokens:
        # Every operation whose input has GrantTokens, as Recipient above (DescribeKey
        # too, though its modeled errors omit InvalidGrantTokenException).
        check_grant_tokens(tokens)
    if request.operation in ACCOUNT_LEVEL_OPERATIONS:
        authorize_account(request)
    return handler(request, decoded)


def dispatch(
    backend: Backend,
    operation_name: str,
    params: Any,
    region: str | None,
    request_id: str,
    user_agent: str = "",
    access_key_id: str | None = None,
) -> Response:
    """Validate ``params``, run ``operation_name`` against ``backend``, audit the call.

    ``access_key_id`` is the one of the caller's credentials, if the transport
    knows it. The whole call holds the backend's lock, after catching up with
    the clock, so every request sees the events due by its own moment.
    """
    region = region or backend.default_region
    # Registered credentials name the caller; else this thread's or task's
    # as_principal block; else the mock account's root.
    registered = backend.principals.get(access_key_id)
    principal = registered or acting_principal() or root_principal(region, backend.account_id)
    with backend.lock:  # (not backend.transaction(): this is the hot path)
        now = backend.catch_up()
        request = Request(
            backend=backend,
            operation=operation_name,
            region=region,
            account_id=principal.account_id,
            now=now,
            request_id=request_id,
            event_id=backend.audit.new_event_id(),
            principal=principal,
            user_agent=user_agent,
            access_key_id=None if registered is None else access_key_id,
            via_service=via_service_endpoint(region),
        )
        try:
            if backend.gate is not None:
                backend.gate.screen(request, params)
            response = _serve(request, params)
        except ServiceError as error:
            backend.audit.api_call(request, params, None, error)
            if backend.state_file is not None:
                backend.commit()  # what fell due before the call: a failed call changed nothing
            raise
        request.succeed()
        backend.audit.api_call(request, params, response, None)
        if backend.state_file is not None:
            backend.commit()  # before the answer: a process killed after it loses nothing
        return response
