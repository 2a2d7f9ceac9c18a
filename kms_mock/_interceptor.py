"""The botocore hook: the only module that touches botocore's internals.

Its handlers go first in botocore's built-in list, so every session created
afterwards carries them, ahead of other mocks; they are inert (one
context-variable read) while no mock serves the calling thread.
``before-call.kms`` answers from the serialized request with what botocore's
own parser would make of the answer (nothing signed, no credentials needed);
``choose-signer``/``before-send`` serve what gets past it, attempt by attempt,
as botocore retries. Clients of sessions made before the hook are refused
before they sign or send; KMS clients made inside a mock get the mock's
region and placeholder credentials that never sign and never leak to other
services' clients. docs/how-it-works.md tells the whole path.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import functools
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import botocore
import botocore.configprovider
import botocore.credentials
import botocore.endpoint
import botocore.exceptions
import botocore.handlers
import botocore.session
import botocore.signers
import urllib3.exceptions
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.endpoint import convert_to_response_dict
from botocore.model import OperationModel
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER, create_parser
from botocore.utils import get_tzinfo_options, lowercase_dict

from ._active import active_backend
from ._errors import READ_TIMEOUT, KmsMockError, TransportFault
from ._shapes import timestamp_to_wire
from ._wire import TARGET_PREFIX, WireResponse, handle, region_of_url

_parser = create_parser("json")


class _Body:
    """The ``raw`` of an AWSResponse: botocore reads it through ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _http_response(url: str, answer: WireResponse) -> AWSResponse:
    # AWSResponse wraps the headers in its case-insensitive HeadersDict itself.
    headers: Any = answer.headers
    return AWSResponse(url, answer.status, headers, _Body(answer.body))


def parse(http_response: AWSResponse, model: OperationModel) -> dict[str, Any]:
    """What botocore's endpoint makes of ``http_response``: its parser, both passes."""
    # The same response dict as botocore's endpoint builds, whose headers are
    # case-insensitive: the parser reads "x-amzn-requestid" for the RequestId.
    response_dict = convert_to_response_dict(http_response, model)
    # An operation without output (EnableKey) has no output shape; botocore's
    # endpoint passes None as well and the parser accepts it.
    parsed: dict[str, Any] = _parser.parse(response_dict, model.output_shape)  # type: ignore[arg-type]
    if http_response.status_code >= 300:
        # botocore's second pass: members of the modeled error (e.g. "message").
        code = parsed.get("Error", {}).get("Code")
        error_shape = model.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(_parser.parse(response_dict, error_shape))
    parsed["ResponseMetadata"]["RetryAttempts"] = 0
    return parsed


# Per timezone setting (which time-machine may change mid-run): botocore's
# local zone, and that zone's standard offset as a fixed one.
_local_zones: dict[tuple[object, ...], tuple[Any, _dt.timezone]] = {}
# The datetimes given lately, by instant, timezone setting and datetime class
# (freezegun swaps it): a key's dates come back in every DescribeKey, and
# converting one costs a call a microsecond. Datetimes are immutable, so
# handing the same one out again is safe; the table is emptied when full.
_local_times: dict[tuple[float, tuple[object, ...], type], _dt.datetime] = {}
_LOCAL_TIMES_KEPT = 256


def _botocore_timestamp(value: _dt.datetime) -> _dt.datetime:
    # botocore parses epoch seconds as datetime.fromtimestamp(epoch, tzlocal())
    # (its first tzinfo option), with a new tzlocal each time. One tzlocal per
    # timezone setting gives the same datetime, cheaper.
    epoch = timestamp_to_wire(value)
    setting = (time.timezone, time.altzone, time.daylight, time.tzname)
    known = (epoch, setting, _dt.datetime)
    local = _local_times.get(known)
    if local is None:
        if len(_local_times) >= _LOCAL_TIMES_KEPT:
            _local_times.clear()
        local = _local_times[known] = _local_time(epoch, setting)
    return local


def _local_time(epoch: float, setting: tuple[object, ...]) -> _dt.datetime:
    zones = _local_zones.get(setting)
    if zones is None:
        zone = get_tzinfo_options()[0]()  # botocore's first choice
        standard = _dt.timezone(_dt.timedelta(seconds=-time.timezone))
        zones = _local_zones[setting] = (zone, standard)
    zone, standard = zones
    try:
        if not time.daylight:
            # tzlocal without daylight saving time is always time.timezone off
            # UTC: the wall time in that fixed offset (computed in C) with the zone
            # attached is exactly what dateutil's slower fromutc gives. (Not the
            # naive fromtimestamp: freezegun's reads it in freezegun's own offset.)
            return _dt.datetime.fromtimestamp(epoch, standard).replace(tzinfo=zone)
        return _dt.datetime.fromtimestamp(epoch, zone)
    except (OSError, OverflowError):  # botocore falls back for such instants
        return DEFAULT_TIMESTAMP_PARSER(epoch)  # type: ignore[arg-type]


def _botocore_value(value: Any) -> Any:
    # What botocore's JSON parser makes of what the wire layer encoded: blobs
    # come back as the same bytes, timestamps through botocore's own parser of
    # epoch seconds (the float the wire carried), containers as fresh copies.
    # It walks the value, not the output shape as the parser does: the service
    # layer already gives each member the parser's type (the contract test holds
    # every operation to it), so only datetimes change and nothing is looked up.
    # Scalars, most members, are taken as they are without a call each.
    if isinstance(value, dict):
        return {
            name: item if type(item) in _AS_IS else _botocore_value(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [item if type(item) in _AS_IS else _botocore_value(item) for item in value]
    if isinstance(value, _dt.datetime):
        return _botocore_timestamp(value)
    return value


# The types botocore's parser gives back unchanged (exact types: a subclass, such as
# freezegun's datetime, takes the general path).
_AS_IS = frozenset({str, bytes, bool, int, float, type(None)})


def parse_success(answer: WireResponse) -> dict[str, Any]:
    """Exactly what ``parse`` gives for a successful answer, without re-reading JSON.

    botocore's parser walks the output shape over the decoded JSON; for a
    success the members the wire layer encoded are already in that form, so
    converting them directly saves most of the parse (the contract test checks
    both give equal results for every operation).
    """
    assert answer.members is not None
    parsed: dict[str, Any] = _botocore_value(answer.members)
    headers = lowercase_dict(answer.headers)
    parsed["ResponseMetadata"] = {
        "RequestId": headers["x-amzn-requestid"],
        "HTTPStatusCode": answer.status,
        "HTTPHeaders": headers,
        "RetryAttempts": 0,
    }
    return parsed


def access_key_id_of(request_signer: Any) -> str | None:
    """The access key id of the credentials a client signs with (None: an unsigned client)."""
    return access_key_of(request_signer._credentials)


def access_key_of(credentials: botocore.credentials.Credentials | None) -> str | None:
    """The access key id ``credentials`` hold, without refreshing them."""
    if credentials is None:
        return None
    if isinstance(credentials, botocore.credentials.RefreshableCredentials):
        # Its access_key property may refresh first: a call to STS or to the
        # instance-metadata service. What it holds names the caller as well.
        return credentials._access_key  # type: ignore[attr-defined,no-any-return]
    return credentials.access_key


def _before_call(
    model: OperationModel,
    params: dict[str, Any],
    context: dict[str, Any],
    request_signer: botocore.signers.RequestSigner,
    **_: Any,
) -> tuple[AWSResponse, dict[str, Any]] | None:
    backend = active_backend()
    if backend is None:
        return None
    gate = backend.gate
    if gate is not None and gate.screens(model.name):
        # A fault rule or quota may fail it: answered at before-send, where botocore retries.
        return None
    headers = params["headers"]
    answer = handle(
        backend,
        headers.get("X-Amz-Target"),
        params["body"],
        context.get("client_region"),
        headers.get("User-Agent"),
        access_key_id_of(request_signer),
    )
    http_response = _http_response(params["url"], answer)
    if answer.members is not None:
        return http_response, parse_success(answer)
    return http_response, parse(http_response, model)


def _choose_signer(**_: Any) -> object | None:
    return botocore.UNSIGNED if active_backend() is not None else None


# What a request answered at before-send becomes for the handlers after ours.
_ANSWERED_SCHEME = "kms-mock+"


# Carries the caller's access key id from before-sign (which sees the client's
# signer) to before-send (which sees only the request); never sent anywhere.
CALLER_HEADER = "X-Kms-Mock-Access-Key-Id"


def name_caller(request: Any, request_signer: Any, **_: Any) -> None:
    """before-sign: note the caller's access key id on a KMS request the mock will answer."""
    if active_backend() is not None:
        access_key_id = access_key_id_of(request_signer)
        if access_key_id is not None:
            request.headers[CALLER_HEADER] = access_key_id


def _before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    backend = active_backend()
    if backend is None:
        return None
    body = request.body if isinstance(request.body, bytes | str) else b""
    headers = request.headers
    access_key_id: str | bytes | None = headers.get(CALLER_HEADER)
    if access_key_id is not None:
        # Taken off: the handlers after this one see the request as it was made.
        del headers[CALLER_HEADER]
        if isinstance(access_key_id, bytes):  # a prepared request's header values are bytes
            access_key_id = access_key_id.decode("latin-1")
    try:
        answer = handle(
            backend,
            headers.get("X-Amz-Target"),
            body,
            region_of_url(request.url),
            headers.get("User-Agent"),
            access_key_id,
        )
    except TransportFault as fault:
        raise transport_failure(fault, request) from None
    response = _http_response(request.url, answer)
    # botocore calls every before-send handler and keeps the first answer, so a
    # later one (moto's, registered for all services) would serve the request
    # too: create keys in its own backend, or raise for an operation it lacks.
    # Under a scheme no one serves, the answered request is left alone. botocore
    # itself reads the request no more (a retry prepares a new one).
    request.url = _ANSWERED_SCHEME + request.url
    return response


def transport_failure(fault: TransportFault, request: AWSPreparedRequest) -> Exception:
    """What botocore's HTTP layer raises for a real socket that failed as ``fault`` says."""
    url = request.url
    if fault.kind == READ_TIMEOUT:
        timeout = urllib3.exceptions.ReadTimeoutError(None, url, "Read timed out.")  # type: ignore[arg-type]
        return botocore.exceptions.ReadTimeoutError(endpoint_url=url, error=timeout)
    reset = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    aborted = urllib3.exceptions.ProtocolError("Connection aborted.", reset)
    return botocore.exceptions.ConnectionClosedError(
        endpoint_url=url, request=request, error=aborted
    )


def is_kms(request: AWSPreparedRequest) -> bool:
    """Whether ``request`` is a KMS request (by its target header or its host)."""
    # Header values of a prepared request are bytes, whatever the stubs say.
    target: str | bytes = request.headers.get("X-Amz-Target") or ""
    if isinstance(target, bytes):
        target = target.decode("latin-1")
    return target.startswith(TARGET_PREFIX) or region_of_url(request.url) is not None


def refusal(url: str) -> KmsMockError:
    """The error for a KMS request that kms_mock cannot serve while a mock is active."""
    return KmsMockError(
        f"a KMS request to {url} was about to leave the process while kms_mock is active: "
        "its client comes from a botocore session created before kms_mock was imported "
        "(boto3's default session too, once used), so kms_mock cannot serve it. Import "
        "kms_mock (or load its pytest plugin) before creating any boto3 client or session."
    )


def signing_type_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``signing_type`` of ``RequestSigner.sign(operation, request, *args, **kwargs)``."""
    return args[1] if len(args) > 1 else kwargs.get("signing_type", "standard")


def _refuse_unhooked_signing(sign: Any) -> Any:
    # A hooked client's KMS request is answered unsigned (its choose-signer
    # handler says UNSIGNED while a mock is active); one that botocore is about
    # to sign comes from a session without the hooks. Refusing it here, before
    # signing, gives the same error whether or not credentials are configured.
    @functools.wraps(sign)
    def guarded_sign(
        self: botocore.signers.RequestSigner,
        operation_name: str,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if active_backend() is not None and self._service_id.hyphenize() == "kms":  # type: ignore[attr-defined]
            chosen = self._choose_signer(  # type: ignore[attr-defined]
                operation_name, signing_type_of(args, kwargs), request.context
            )
            if chosen is not botocore.UNSIGNED:
                raise refusal(request.url)
        return sign(self, operation_name, request, *args, **kwargs)

    return guarded_sign


def _refuse_unhooked_sending(send: Any) -> Any:
    # The last line: an unhooked client configured not to sign at all.
    @functools.wraps(send)
    def guarded_send(self: botocore.endpoint.Endpoint, request: AWSPreparedRequest) -> Any:
        if active_backend() is not None and is_kms(request):
            raise refusal(request.url)
        return send(self, request)

    return guarded_send


PLACEHOLDER_KEY = "KMSMOCKPLACEHOLDER"
PLACEHOLDER_SECRET = "kms-mock-placeholder-secret"
PLACEHOLDER_METHOD = "kms-mock"


class _PlaceholderCredentials(botocore.credentials.Credentials):
    """What a KMS client created inside a mock holds, unless it was given its own.

    They never sign: the mock answers every KMS request unsigned, and once it
    has stopped, signing with these raises NoCredentialsError, as a client
    without credentials would — nothing is ever sent with them to real AWS.
    """

    def __init__(self) -> None:
        super().__init__(PLACEHOLDER_KEY, PLACEHOLDER_SECRET, method=PLACEHOLDER_METHOD)

    def get_frozen_credentials(self) -> botocore.credentials.ReadOnlyCredentials:
        raise botocore.exceptions.NoCredentialsError()


def _service_name(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return kwargs["service_name"] if "service_name" in kwargs else args[0] if args else None


def needs_placeholder(
    held: botocore.credentials.Credentials | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bool:
    """Whether ``create_client(*args, **kwargs)`` of a session that ``held`` credentials
    makes a KMS client inside a mock that needs placeholder credentials.

    Unless it is given credentials of its own, or its session holds ones that a
    test registered with the mock, such a client gets placeholder ones: looking
    for real ones could end at the instance-metadata service, and a client that
    holds none cannot reach AWS once the mock has stopped.
    """
    if _service_name(args, kwargs) != "kms" or kwargs.get("aws_access_key_id") is not None:
        return False
    backend = active_backend()
    return backend is not None and backend.principals.get(access_key_of(held)) is None


# The session whose KMS client this thread or task is making, and the placeholder
# credentials its get_credentials() gives that client. Never set on the session
# itself: another thread's (or task's) clients of the same session, of any
# service, and the session afterwards find the credentials they would find
# without the mock.
_lent: ContextVar[tuple[object, object] | None] = ContextVar("kms_mock_lent", default=None)


@contextlib.contextmanager
def lending(session: object, placeholder: object) -> Iterator[None]:
    """``session.get_credentials()`` gives ``placeholder`` to this thread or task meanwhile."""
    token = _lent.set((session, placeholder))
    try:
        yield
    finally:
        _lent.reset(token)


def lent_to(session: object) -> Any:
    """The placeholder credentials ``session`` lends this thread or task now, or None."""
    lent = _lent.get()
    return lent[1] if lent is not None and lent[0] is session else None


def _with_placeholder_credentials(create_client: Any) -> Any:
    @functools.wraps(create_client)
    def create(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        if not needs_placeholder(self._credentials, args, kwargs):  # type: ignore[attr-defined]
            return create_client(self, *args, **kwargs)
        with lending(self, _PlaceholderCredentials()):
            return create_client(self, *args, **kwargs)

    return create


def _lending_credentials(get_credentials: Any) -> Any:
    @functools.wraps(get_credentials)
    def get(self: botocore.session.Session) -> Any:
        placeholder = lent_to(self)
        return get_credentials(self) if placeholder is None else placeholder

    return get


HANDLERS = (
    ("before-call.kms", _before_call, botocore.handlers.REGISTER_FIRST),
    ("choose-signer.kms", _choose_signer, botocore.handlers.REGISTER_FIRST),
    ("before-sign.kms", name_caller, botocore.handlers.REGISTER_FIRST),
    ("before-send.kms", _before_send, botocore.handlers.REGISTER_FIRST),
)


class _MockRegion(botocore.configprovider.BaseProvider):
    """Last in the region chain: the active mock's region, when nothing else names one."""

    def provide(self) -> str | None:
        backend = active_backend()
        return None if backend is None else backend.default_region


def _with_mock_region(create_mapping: Any) -> Any:
    @functools.wraps(create_mapping)
    def create(*args: Any, **kwargs: Any) -> Any:
        mapping = create_mapping(*args, **kwargs)
        mapping["region"] = botocore.configprovider.ChainProvider(
            providers=[mapping["region"], _MockRegion()]
        )
        return mapping

    return create


def install() -> None:
    """Put the handlers first in botocore's built-in list and the guards in place (once)."""
    builtins = botocore.handlers.BUILTIN_HANDLERS
    if HANDLERS[0] in builtins:
        return
    builtins[:0] = HANDLERS
    endpoint = botocore.endpoint.Endpoint
    endpoint._send = _refuse_unhooked_sending(endpoint._send)  # type: ignore[attr-defined]
    signer = botocore.signers.RequestSigner
    signer.sign = _refuse_unhooked_signing(signer.sign)  # type: ignore[method-assign]
    session = botocore.session.Session
    session.create_client = _with_placeholder_credentials(session.create_client)  # type: ignore[method-assign]
    session.get_credentials = _lending_credentials(session.get_credentials)  # type: ignore[method-assign]
    # botocore.session imported the function by name: patch its reference.
    botocore.session.create_botocore_default_config_mapping = _with_mock_region(
        botocore.session.create_botocore_default_config_mapping
    )


# Importing this module is what puts kms_mock into botocore (see ``_hook``).
install()
