"""GenerateRandom.

The bytes come from the backend's entropy, so a seeded mock gives the same
"random" bytes run after run, whether or not a CloudHSM key store is named.
"""

from __future__ import annotations

from .._dispatch import Params, Request, Response, operation
from .._errors import UnsupportedOperationException, ValidationException
from .._key_stores import EXTERNAL_KEY_STORE
from ._rules import key_store_of, key_store_state_error


@operation("GenerateRandom")
def generate_random(request: Request, params: Params) -> Response:
    """``NumberOfBytes`` (1..1024) random bytes as ``Plaintext``, in KMS or a CloudHSM key store."""
    # Not marked required in the model, but AWS requires it (recorded message).
    # Range violations (0, 1025) were already rejected by the model validator.
    number_of_bytes: int | None = params.get("NumberOfBytes")
    if number_of_bytes is None:
        raise ValidationException("NumberOfBytes is required.")
    if "CustomKeyStoreId" in params:
        store = key_store_of(request, params["CustomKeyStoreId"])
        if store.store_type == EXTERNAL_KEY_STORE:
            # "External key store IDs are not valid for this parameter" (GenerateRandomRequest).
            raise UnsupportedOperationException(
                f"{store.store_id} is an external key store, which is not valid for this operation."
            )
        if not store.connected:
            raise key_store_state_error(request, store)
    return {"Plaintext": request.backend.entropy.token_bytes(number_of_bytes)}
