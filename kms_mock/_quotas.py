"""AWS KMS request quotas (requests per second, per account and Region), on the mock clock.

Opt-in (``mock_kms(request_quotas=...)``). The values are the defaults of
"Request quotas" in the AWS KMS Developer Guide
(https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html):
one quota per operation, and the shared cryptographic quotas, which every
cryptographic call draws from by the type of its key. Each quota is a token
bucket that holds a second's worth of requests (at least one) and refills at
its rate as the mock clock moves: under a FrozenClock, the sixth CreateKey of
one instant is throttled, and advancing a second refills the bucket.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ._errors import THROTTLED_MESSAGE, ThrottlingException, UsageError
from ._keyspecs import ECC, HMAC, KEY_SPECS, RSA, SM2, SYMMETRIC
from ._targets import first_key_named

if TYPE_CHECKING:
    import datetime as _dt

    from ._audit import AuditedCall
    from ._store import Backend


SYMMETRIC_QUOTA: Final = "Cryptographic operations (symmetric)"
RSA_QUOTA: Final = "Cryptographic operations (RSA)"
ECC_QUOTA: Final = "Cryptographic operations (ECC)"
SM_QUOTA: Final = "Cryptographic operations (SM)"

# The guide's per-operation quotas (ReplicateKey's extra CreateKeys in the replica
# Region are not counted). Operations it does not list have none here.
OPERATION_QUOTAS: Final[dict[str, float]] = {
    "CancelKeyDeletion": 5,
    "ConnectCustomKeyStore": 5,
    "CreateAlias": 5,
    "CreateCustomKeyStore": 5,
    "CreateGrant": 50,
    "CreateKey": 5,
    "DeleteAlias": 15,
    "DeleteCustomKeyStore": 5,
    "DeleteImportedKeyMaterial": 5,
    "DescribeCustomKeyStores": 5,
    "DescribeKey": 2000,
    "DisableKey": 5,
    "DisableKeyRotation": 5,
    "DisconnectCustomKeyStore": 5,
    "EnableKey": 5,
    "EnableKeyRotation": 15,
    "GetKeyPolicy": 1000,
    "GetKeyRotationStatus": 1000,
    "GetParametersForImport": 0.25,
    "GetPublicKey": 2000,
    "ImportKeyMaterial": 5,
    "ListAliases": 500,
    "ListGrants": 100,
    "ListKeyPolicies": 100,
    "ListKeys": 500,
    "ListResourceTags": 2000,
    "ListRetirableGrants": 100,
    "PutKeyPolicy": 15,
    "ReplicateKey": 5,
    "RetireGrant": 30,
    "RevokeGrant": 30,
    "ScheduleKeyDeletion": 15,
    "TagResource": 10,
    "UntagResource": 5,
    "UpdateAlias": 5,
    "UpdateCustomKeyStore": 5,
    "UpdateKeyDescription": 5,
    "UpdatePrimaryRegion": 5,
}
# GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share one quota per KeyPairSpec.
_PAIR_QUOTAS: Final = {
    "ECC_NIST_P256": 25,
    "ECC_NIST_P384": 10,
    "ECC_NIST_P521": 5,
    "ECC_SECG_P256K1": 25,
    "RSA_2048": 1,
    "RSA_3072": 0.5,
    "RSA_4096": 0.1,
    "SM2": 25,
}
_PAIR_OPERATIONS: Final = frozenset({"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"})
PAIR_QUOTAS: Final = {f"GenerateDataKeyPair ({spec})": rate for spec, rate in _PAIR_QUOTAS.items()}

# The shared quotas: which operations draw from each, by the kind of their key.
_SYMMETRIC_OPERATIONS: Final = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GenerateRandom",
        "ReEncrypt",
        "VerifyMac",
    }
)
_ASYMMETRIC_OPERATIONS: Final = frozenset(
    {"Decrypt", "DeriveSharedSecret", "Encrypt", "ReEncrypt", "Sign", "Verify"}
)
# Key kind -> its shared quota (ML-DSA and Ed25519 keys have none in the guide's table).
_SHARED_BY_KIND: Final = {
    SYMMETRIC: SYMMETRIC_QUOTA,
    HMAC: SYMMETRIC_QUOTA,
    RSA: RSA_QUOTA,
    ECC: ECC_QUOTA,
    SM2: SM_QUOTA,
}
# The symmetric quota varies by Region: 50,000 or 10,000 in these, 5,500 elsewhere.
_SYMMETRIC_BY_REGION: Final = {
    **dict.fromkeys(("us-east-1", "us-west-2", "eu-west-1"), 50_000),
    **dict.fromkeys(
        (
            "us-east-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-northeast-1",
            "eu-central-1",
            "eu-west-2",
        ),
        10_000,
    ),
}
_SHARED_DEFAULTS: Final = {RSA_QUOTA: 500, ECC_QUOTA: 300, SM_QUOTA: 300}

QUOTA_NAMES: Final = (
    SYMMETRIC_QUOTA,
    *_SHARED_DEFAULTS,
    *OPERATION_QUOTAS,
    *PAIR_QUOTAS,
)


def check_quota_values(values: Mapping[str, float]) -> dict[str, float]:
    """``values`` (quota name -> requests per second) if every name is a quota's."""
    for name in values:
        if name not in QUOTA_NAMES:
            close = difflib.get_close_matches(str(name), QUOTA_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(
                f"request_quotas names {name!r}, which is not a KMS request quota{hint}. "
                f"Name an operation such as 'CreateKey', or {SYMMETRIC_QUOTA!r}, "
                f"{RSA_QUOTA!r}, {ECC_QUOTA!r}, {SM_QUOTA!r} or 'GenerateDataKeyPair (<spec>)'."
            )
    return dict(values)


@dataclass(slots=True)
class _Bucket:
    rate: float
    tokens: float
    at: _dt.datetime

    def refill(self, now: _dt.datetime) -> None:
        elapsed = max((now - self.at).total_seconds(), 0.0)
        self.tokens = min(max(self.rate, 1.0), self.tokens + elapsed * self.rate)
        self.at = now


class RequestQuotas:
    """The request quotas of one activation; ``custom`` overrides default values by name."""

    def __init__(self, custom: Mapping[str, float]) -> None:
        self._custom = dict(custom)
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def admit(self, backend: Backend, request: AuditedCall, params: Any) -> None:
        """Count the call against its quotas, or throttle it (it then draws from none)."""
        names = self._quotas_of(backend, request, params)
        buckets = [self._bucket(request, name) for name in names]
        for bucket in buckets:
            bucket.refill(request.now)
            if bucket.tokens < 1:
                raise ThrottlingException(THROTTLED_MESSAGE)
        for bucket in buckets:
            bucket.tokens -= 1

    def _quotas_of(self, backend: Backend, request: AuditedCall, params: Any) -> list[str]:
        operation = request.operation
        names = [operation] if operation in OPERATION_QUOTAS else []
        if operation in _PAIR_OPERATIONS and isinstance(params, dict):
            pair = f"GenerateDataKeyPair ({params.get('KeyPairSpec')})"
            if pair in PAIR_QUOTAS:
                names.append(pair)
        if operation == "GenerateRandom":
            names.append(SYMMETRIC_QUOTA)
        elif operation in _SYMMETRIC_OPERATIONS or operation in _ASYMMETRIC_OPERATIONS:
            key = first_key_named(backend, params, request.account_id, request.region)
            shared = None if key is None else _SHARED_BY_KIND.get(KEY_SPECS[key.key_spec].kind)
            symmetric = shared == SYMMETRIC_QUOTA
            if shared is not None and operation in (
                _SYMMETRIC_OPERATIONS if symmetric else _ASYMMETRIC_OPERATIONS
            ):
                names.append(shared)
        return names

    def _bucket(self, request: AuditedCall, name: str) -> _Bucket:
        where = (request.account_id, request.region, name)
        bucket = self._buckets.get(where)
        if bucket is None:
            rate = self._rate(name, request.region)
            bucket = self._buckets[where] = _Bucket(rate, max(rate, 1.0), request.now)
        return bucket

    def _rate(self, name: str, region: str) -> float:
        if name in self._custom:
            return self._custom[name]
        if name == SYMMETRIC_QUOTA:
            return _SYMMETRIC_BY_REGION.get(region, 5_500)
        return _SHARED_DEFAULTS.get(name) or OPERATION_QUOTAS.get(name) or PAIR_QUOTAS[name]
