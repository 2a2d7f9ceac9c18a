"""kms_mock for ``requests``: KMS calls made with ``requests`` are answered through ``responses``.

:func:`add_kms_callback` registers, on a ``responses.RequestsMock`` the test
already uses, a callback for ``POST https://kms.<region>.<partition suffix>/``
(``kms-fips`` hosts too). It hands each request to the same wire layer as the
botocore hook and the server, so the answers, the state and the clock are the
ones the test's boto3 clients see. Other URLs keep whatever the test
registered. ``responses`` is an optional dependency (``kms-mock[responses]``);
the pytest fixture ``kms_responses`` is the common case.
"""

from __future__ import annotations

import errno
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from ._active import active_backend
from ._errors import READ_TIMEOUT, KmsMockError, TransportFault, UsageError
from ._wire import handle_http, region_of_url

if TYPE_CHECKING:
    from requests import PreparedRequest
    from responses import BaseResponse, RequestsMock

    from ._mock import MockKMS
    from ._store import Backend

__all__ = ["add_kms_callback"]

# A cheap first look, which responses shows when it lists its registrations; the
# wire layer decides which hosts are KMS endpoints (and of which Region).
_KMS_URL = re.compile(r"https?://kms(?:-fips)?\.")


def add_kms_callback(requests_mock: RequestsMock, kms: MockKMS | None = None) -> BaseResponse:
    """Answer ``requests_mock``'s KMS requests from a mock; returns the registration.

    Without ``kms``, each request is served by the mock active at that moment
    in the calling thread, as a botocore client's would be. A request needs an
    ``Authorization`` header (any SigV4 signature; it is not checked), as AWS
    requires; its credential scope names its Region. With the default
    ``assert_all_requests_are_fired=True`` of ``RequestsMock``, the test must
    make a KMS call, as for any registration.
    """

    def answer(request: PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        backend = _backend_of(kms)
        headers = request.headers
        try:
            served = handle_http(
                backend,
                target=headers.get("X-Amz-Target"),
                body=request.body or b"",
                authorization=headers.get("Authorization"),
                host=urlsplit(str(request.url)).netloc,  # what requests sends as Host
                user_agent=headers.get("User-Agent"),
            )
        except TransportFault as fault:
            raise _transport_failure(fault, request) from None
        return served.status, served.headers, served.body

    return requests_mock.add_callback(
        "POST", _KMS_URL, callback=answer, content_type=None, match=[_is_kms_endpoint]
    )


def _is_kms_endpoint(request: PreparedRequest) -> tuple[bool, str]:
    # A responses matcher: (whether it matches, why not).
    if region_of_url(str(request.url)) is None:
        return False, "not a KMS endpoint (kms.<region>.<partition suffix>)"
    return True, ""


def _backend_of(kms: MockKMS | None) -> Backend:
    if kms is not None:
        if not kms.active:
            raise UsageError(
                f"a KMS request was made through responses to {kms!r}, which is not "
                "running: start() it, or make the request inside its with block."
            )
        return kms._backend
    backend = active_backend()
    if backend is None:
        raise KmsMockError(
            "a KMS request was made through responses while no kms_mock is active: "
            "make it inside mock_kms(), or pass the mock: add_kms_callback(requests_mock, kms)."
        )
    return backend


def _transport_failure(fault: TransportFault, request: PreparedRequest) -> Exception:
    """What requests raises for a real socket that failed as ``fault`` says."""
    if fault.kind == READ_TIMEOUT:
        timeout = urllib3.exceptions.ReadTimeoutError(None, str(request.url), "Read timed out.")  # type: ignore[arg-type]
        return requests.exceptions.ReadTimeout(timeout, request=request)
    reset = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    aborted = urllib3.exceptions.ProtocolError("Connection aborted.", reset)
    return requests.exceptions.ConnectionError(aborted, request=request)
