"""HMAC: GenerateMac, VerifyMac (spec §4.9).

The MAC is the standard RFC 2104 HMAC of the message under the key's secret,
which is derived from the key's seed on first use (``_keypairs``): HMAC_224
keys hold 224 bits, HMAC_256 256 bits, and so on.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from .._dispatch import Params, Request, Response, operation
from .._errors import InvalidKeyUsageException, KMSInvalidMacException
from .._keypairs import hmac_secret, lazy_secrets
from .._keyspecs import GENERATE_VERIFY_MAC, KEY_SPECS
from .._models import Key
from .._resolve import find_key, require_usable
from .crypto import dry_run_stop, track_usage

DIGESTS: Final = {
    "HMAC_SHA_224": hashlib.sha224,
    "HMAC_SHA_256": hashlib.sha256,
    "HMAC_SHA_384": hashlib.sha384,
    "HMAC_SHA_512": hashlib.sha512,
}


def _mac_key(request: Request, params: Params) -> tuple[Key, str]:
    """The HMAC key and algorithm of a call: state, usage, then algorithm (recorded messages)."""
    key = find_key(request, params["KeyId"], aliases=True)
    require_usable(key)
    if key.key_usage != GENERATE_VERIFY_MAC:
        raise InvalidKeyUsageException(
            f"{key.arn} key usage is {key.key_usage} which is not valid for {request.operation}."
        )
    algorithm: str = params["MacAlgorithm"]
    if algorithm not in KEY_SPECS[key.key_spec].algorithms[GENERATE_VERIFY_MAC]:
        raise InvalidKeyUsageException(
            f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}."
        )
    return key, algorithm


def _mac(key: Key, algorithm: str, message: bytes) -> bytes:
    return hmac.new(hmac_secret(key), message, DIGESTS[algorithm]).digest()


@operation("GenerateMac")
@lazy_secrets
def generate_mac(request: Request, params: Params) -> Response:
    """The HMAC of a message (up to 4096 bytes)."""
    key, algorithm = _mac_key(request, params)
    dry_run_stop(params)
    mac = _mac(key, algorithm, params["Message"])
    track_usage(request, key)
    return {"Mac": mac, "MacAlgorithm": algorithm, "KeyId": key.arn}


@operation("VerifyMac")
@lazy_secrets
def verify_mac(request: Request, params: Params) -> Response:
    """MacValid: true, or KMSInvalidMacException (AWS never answers false)."""
    key, algorithm = _mac_key(request, params)
    dry_run_stop(params)
    if not hmac.compare_digest(_mac(key, algorithm, params["Message"]), params["Mac"]):
        raise KMSInvalidMacException(None)  # AWS sends no message (recorded)
    track_usage(request, key)
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}
