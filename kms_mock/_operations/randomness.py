"""GenerateRandom.

The bytes come from the backend's entropy, so a seeded mock gives the same
"random" bytes run after run.
"""

from __future__ import annotations

from .._dispatch import Params, Request, Response, operation
from .._errors import CustomKeyStoreNotFoundException, ValidationException


@operation("GenerateRandom")
def generate_random(request: Request, params: Params) -> Response:
    """``NumberOfBytes`` (1..1024) random bytes as ``Plaintext``."""
    # Not marked required in the model, but AWS requires it (recorded message).
    # Range violations (0, 1025) were already rejected by the model validator.
    number_of_bytes: int | None = params.get("NumberOfBytes")
    if number_of_bytes is None:
        raise ValidationException("NumberOfBytes is required.")
    if "CustomKeyStoreId" in params:
        # The mock has no custom key stores, so every id names a missing one
        # (same wording as CreateKey; not recorded from AWS).
        store_id = params["CustomKeyStoreId"]
        raise CustomKeyStoreNotFoundException(f"Custom key store {store_id} does not exist.")
    return {"Plaintext": request.backend.entropy.token_bytes(number_of_bytes)}
