"""HMAC: GenerateMac, VerifyMac.

The MAC is the standard RFC 2104 HMAC of the message under the key's secret,
which is derived from the key's seed on first use (``_secrets``): HMAC_224
keys hold 224 bits, HMAC_256 256 bits, and so on. Each MacAlgorithm's hash is
its ``hash`` fact in ``_keyspecs.ALGORITHMS``.
"""

from __future__ import annotations

import hmac

from .._dispatch import Params, Request, Response, operation
from .._errors import KMSInvalidMacException
from .._keyspecs import ALGORITHMS, GENERATE_VERIFY_MAC
from .._models import Key
from .._resolve import find_key
from ._rules import dry_run_stop, require_usage, track_usage
from ._secrets import hmac_secret, lazy_secrets


def _mac_of_message(request: Request, params: Params) -> tuple[Key, bytes]:
    """The call's key and the MAC of its message, after the checks and the DryRun stop."""
    key = find_key(request, params["KeyId"], aliases=True)
    require_usage(request, key, GENERATE_VERIFY_MAC, params["MacAlgorithm"])
    dry_run_stop(params)
    digest = ALGORITHMS[params["MacAlgorithm"]].hash
    assert digest is not None  # every HMAC algorithm names its hash
    return key, hmac.new(hmac_secret(key), params["Message"], digest).digest()


@operation("GenerateMac")
@lazy_secrets
def generate_mac(request: Request, params: Params) -> Response:
    """The HMAC of a message (up to 4096 bytes)."""
    key, mac = _mac_of_message(request, params)
    track_usage(request, key)
    return {"Mac": mac, "MacAlgorithm": params["MacAlgorithm"], "KeyId": key.arn}


@operation("VerifyMac")
@lazy_secrets
def verify_mac(request: Request, params: Params) -> Response:
    """MacValid: true, or KMSInvalidMacException (AWS never answers false)."""
    key, mac = _mac_of_message(request, params)
    if not hmac.compare_digest(mac, params["Mac"]):
        raise KMSInvalidMacException(None)  # AWS sends no message (recorded)
    track_usage(request, key)
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": params["MacAlgorithm"]}
