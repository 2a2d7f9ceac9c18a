"""The same hook for aiobotocore (and aioboto3): its own overrides, guarded alike.

aiobotocore's sessions carry botocore's built-in handlers, kms_mock's among
them, so its KMS clients are answered at ``before-call`` as botocore's are.
But it overrides the three places where ``_interceptor`` keeps requests in:
client creation (its own credential chain, which would ask the EC2
instance-metadata service), signing and sending (where a session created
before the hook is refused). ``_hook`` imports this module right after
``aiobotocore.session`` is loaded; importing it installs the guards.
"""

from __future__ import annotations

import functools
from typing import Any

import aiobotocore.awsrequest
import aiobotocore.credentials
import aiobotocore.endpoint
import aiobotocore.session
import aiobotocore.signers
import botocore
import botocore.endpoint
import botocore.exceptions

from ._active import active_backend
from ._interceptor import (
    PLACEHOLDER_KEY,
    PLACEHOLDER_METHOD,
    PLACEHOLDER_SECRET,
    is_kms,
    lending,
    lent_to,
    needs_placeholder,
    refusal,
    signing_type_of,
)

GUARD = "_kms_mock_guard"  # on the wrapped creator: installed already


class _PlaceholderCredentials(aiobotocore.credentials.AioCredentials):  # type: ignore[misc]
    """``_interceptor``'s placeholder credentials, in aiobotocore's (async) form."""

    def __init__(self) -> None:
        super().__init__(PLACEHOLDER_KEY, PLACEHOLDER_SECRET, method=PLACEHOLDER_METHOD)

    async def get_frozen_credentials(self) -> Any:
        raise botocore.exceptions.NoCredentialsError()


def _with_placeholder_credentials(create_client: Any) -> Any:
    @functools.wraps(create_client)
    async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not needs_placeholder(self._credentials, args, kwargs):
            return await create_client(self, *args, **kwargs)
        with lending(self, _PlaceholderCredentials()):
            return await create_client(self, *args, **kwargs)

    return create


def _lending_credentials(get_credentials: Any) -> Any:
    @functools.wraps(get_credentials)
    async def get(self: Any) -> Any:
        placeholder = lent_to(self)
        return await get_credentials(self) if placeholder is None else placeholder

    return get


def _refuse_unhooked_signing(sign: Any) -> Any:
    @functools.wraps(sign)
    async def guarded_sign(
        self: Any, operation_name: str, request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if active_backend() is not None and self._service_id.hyphenize() == "kms":
            signing_type = signing_type_of(args, kwargs)
            chosen = await self._choose_signer(operation_name, signing_type, request.context)
            if chosen is not botocore.UNSIGNED:
                raise refusal(request.url)
        return await sign(self, operation_name, request, *args, **kwargs)

    return guarded_sign


def _refuse_unhooked_sending(send: Any) -> Any:
    @functools.wraps(send)
    async def guarded_send(self: Any, request: Any) -> Any:
        if active_backend() is not None and is_kms(request):
            raise refusal(request.url)
        return await send(self, request)

    return guarded_send


def _reading_kms_mock_answers(convert: Any) -> Any:
    # Calls a fault rule or quota may fail are answered at before-send (inside
    # aiobotocore's retry loop, as in botocore's) with botocore's response, whose
    # content is bytes where aiobotocore's own responses give an awaitable.
    @functools.wraps(convert)
    async def converted(http_response: Any, operation_model: Any) -> Any:
        if isinstance(http_response, aiobotocore.awsrequest.AioAWSResponse):
            return await convert(http_response, operation_model)
        return botocore.endpoint.convert_to_response_dict(http_response, operation_model)

    return converted


def install() -> None:
    """Put the guards on aiobotocore's overrides (once)."""
    session = aiobotocore.session.AioSession
    if getattr(session._create_client, GUARD, False):
        return
    session._create_client = _with_placeholder_credentials(session._create_client)
    setattr(session._create_client, GUARD, True)
    session.get_credentials = _lending_credentials(session.get_credentials)
    signer = aiobotocore.signers.AioRequestSigner
    signer.sign = _refuse_unhooked_signing(signer.sign)
    endpoint = aiobotocore.endpoint.AioEndpoint
    endpoint._send = _refuse_unhooked_sending(endpoint._send)
    aiobotocore.endpoint.convert_to_response_dict = _reading_kms_mock_answers(
        aiobotocore.endpoint.convert_to_response_dict
    )


# Importing this module is what puts kms_mock into aiobotocore (see ``_hook``).
install()
