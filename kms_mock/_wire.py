"""The JSON 1.1 wire layer: X-Amz-Target + body in, status + headers + body out.

Exactly what AWS receives and sends, so every transport (the botocore hook,
the HTTP server) shares one request -> response function and stays thin.
What a transport learns from the request itself (the Region of its host or
of its SigV4 credential scope, the caller's access key id) is read here too.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import json.encoder as json_encoder
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from ._errors import MissingAuthenticationTokenException, ServiceError, UnknownOperationException
from ._settings import REGION_NAME
from ._shapes import blob_to_wire, timestamp_to_wire

if TYPE_CHECKING:
    from ._store import Backend

TARGET_PREFIX = "TrentService."
CONTENT_TYPE = "application/x-amz-json-1.1"

# AWS's JSON services answer a request without an Authorization header with this
# (inferred: the wording emulators record for AWS; the spec has no recording for KMS).
MISSING_TOKEN_MESSAGE = "Request is missing Authentication Token"

# KMS endpoints: kms.<region>.<partition's DNS suffix> (amazonaws.com, amazonaws.com.cn,
# api.aws for dual-stack, ...) and kms-fips.<region>..., as "AWS Key Management Service
# endpoints and quotas" lists them. Any other host (localhost, a proxy) names no Region.
_KMS_HOST = re.compile(rf"kms(?:-fips)?\.(?P<region>{REGION_NAME.pattern})\.[a-z0-9.-]+")
# The credential of a SigV4 Authorization header:
# Credential=<access key id>/<date>/<region>/<service>/aws4_request.
_CREDENTIAL = re.compile(r"Credential=(?P<scope>[^,\s]*)")


@dataclass(slots=True)
class WireResponse:
    """An HTTP answer as AWS would send it."""

    status: int
    headers: dict[str, str]
    body: bytes
    # The response members ``body`` encodes (successes only), for transports
    # that can hand them on without decoding the JSON again.
    members: dict[str, Any] | None = None


def _encode(value: object) -> object:
    # json.dumps calls this only for what JSON cannot hold natively.
    if isinstance(value, bytes):
        return blob_to_wire(value)
    if isinstance(value, _dt.datetime):
        return timestamp_to_wire(value)
    raise TypeError(f"cannot put {type(value).__name__} on the wire")


# One encoder and decoder for every request: json.dumps/loads with options
# would build new ones each call, on the hot path.
_ENCODER = json.JSONEncoder(default=_encode, separators=(",", ":"))
_DECODER = json.JSONDecoder()
# JSONEncoder.encode builds its C encoder anew on every call, a quarter of a
# DescribeKey body's cost: _C_ENCODE is the one it builds, made once (same
# options; no circular-reference check, which a response of fresh dicts never
# needs). json.encoder.c_make_encoder is private and not in typeshed's stubs:
# None without json's C accelerator, or should its arguments ever change.
_Encode = Callable[[object, int], Sequence[str]]


def _c_encoder() -> _Encode | None:
    make: Callable[..., _Encode] | None = getattr(json_encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        return make(
            None,  # markers: no circular-reference check
            _encode,  # default
            json_encoder.encode_basestring_ascii,  # ensure_ascii
            None,  # indent
            ":",  # key separator
            ",",  # item separator
            False,  # sort_keys
            False,  # skipkeys
            True,  # allow_nan
        )
    except TypeError:
        return None


_C_ENCODE = _c_encoder()


def encode_body(members: dict[str, Any]) -> bytes:
    """JSON body of a response: blobs as base64, timestamps as epoch seconds."""
    if _C_ENCODE is None:  # json's own path (see _c_encoder)
        return _ENCODER.encode(members).encode()
    return "".join(_C_ENCODE(members, 0)).encode()


def error_body(error: ServiceError) -> bytes:
    """``{"__type": code, "message": text}`` (``Message`` where AWS says so); no message
    member when AWS sends none."""
    document = {"__type": error.code}
    if error.message is not None:
        document[error.message_member] = error.message
    return json.dumps(document).encode()


def _header_text(value: str | bytes | None) -> str:
    # A prepared botocore request (the before-send path) holds header values as
    # bytes; a header the request did not carry reads as empty.
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value or ""


def region_of_host(host: str | None) -> str | None:
    """The Region a KMS endpoint's host name names (a ``:port`` is ignored), else None."""
    if not host:
        return None
    match = _KMS_HOST.fullmatch(host.partition(":")[0])
    return match["region"] if match else None


def region_of_url(url: str) -> str | None:
    """The Region of ``url``'s host, if it is a KMS endpoint (``https://kms.<region>...``)."""
    return region_of_host(urlsplit(url).hostname)


class SigningScope(NamedTuple):
    """What a SigV4 Authorization header's credential scope names (None: not named)."""

    access_key_id: str | None
    region: str | None


def signing_scope(authorization: str) -> SigningScope:
    """The access key id and Region of ``Credential=AKID/<date>/<region>/kms/aws4_request``.

    A SigV4a scope (``AKID/<date>/kms/aws4_request``) names no Region.
    """
    match = _CREDENTIAL.search(authorization)
    scope = match["scope"].split("/") if match else []
    access_key_id = scope[0] if len(scope) >= 4 and scope[0] else None
    region = scope[2] if len(scope) == 5 and REGION_NAME.fullmatch(scope[2]) else None
    return SigningScope(access_key_id, region)


def operation_of(target: str | bytes | None) -> str:
    """The operation name in an ``X-Amz-Target`` header (``TrentService.<Name>``)."""
    target = _header_text(target)
    if not target.startswith(TARGET_PREFIX):
        raise UnknownOperationException(None)
    return target[len(TARGET_PREFIX) :]


def _decode_body(body: bytes | str) -> Any:
    """The request's JSON value; ``None`` for a body that is not JSON at all.

    ``None``, like any value but an object, is refused with SerializationException
    by the validator: within the call, so that the audit log records it.
    """
    try:
        text = body.decode() if isinstance(body, bytes) else body
        return _DECODER.decode(text or "{}")
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the decoder's stack, which 2 KB can be.
        return None


@functools.cache
def _dispatcher() -> Callable[..., Any]:
    # The service layer (and cryptography with it) loads with the first request,
    # not with this module: the botocore hook imports it whenever botocore is
    # imported, and most suites that import boto3 never serve a KMS call.
    from ._dispatch import dispatch

    return dispatch


def handle(
    backend: Backend,
    target: str | bytes | None,
    body: bytes | str,
    region: str | None,
    user_agent: str | bytes | None = None,
    access_key_id: str | None = None,
) -> WireResponse:
    """Serve one KMS request against ``backend``; every failure is an AWS error answer.

    ``user_agent`` is the request's User-Agent header, which the audit log
    shows (empty when the request carried none); ``access_key_id`` that of
    the caller's credentials, which names the caller if a test registered it.
    """
    request_id = backend.entropy.uuid4()
    try:
        operation = operation_of(target)
        members = _dispatcher()(
            backend,
            operation,
            _decode_body(body),
            region,
            request_id,
            _header_text(user_agent),
            access_key_id,
        )
    except ServiceError as error:
        return _answer(request_id, error.status, error_body(error), None)
    return _answer(request_id, 200, encode_body(members), members)


def handle_http(
    backend: Backend,
    *,
    target: str | None,
    body: bytes | str,
    authorization: str | None,
    host: str | None = None,
    user_agent: str | None = None,
) -> WireResponse:
    """Serve a KMS request as it came over HTTP (the server, and callers such as ``requests``).

    Its Region is the one its SigV4 credential scope names, else its host's,
    else the backend's default; the scope's access key id names the caller if a
    test registered it. Signatures are not checked, but a request must carry an
    Authorization header, as AWS requires (MissingAuthenticationTokenException).
    """
    if not authorization:
        # Refused before the service sees it: CloudTrail records no such call.
        error = MissingAuthenticationTokenException(MISSING_TOKEN_MESSAGE)
        return _answer(backend.entropy.uuid4(), error.status, error_body(error), None)
    scope = signing_scope(authorization)
    region = scope.region or region_of_host(host)
    return handle(backend, target, body, region, user_agent, scope.access_key_id)


def _answer(
    request_id: str, status: int, payload: bytes, members: dict[str, Any] | None
) -> WireResponse:
    headers = {
        "x-amzn-RequestId": request_id,
        "Content-Type": CONTENT_TYPE,
        "Content-Length": str(len(payload)),
    }
    return WireResponse(status, headers, payload, members)
