"""The enum lists AWS names in its validation messages, recorded where we can.

AWS answers a value outside an enum with ``Member must satisfy enum value set:
[A, B, C]``, in an order of its own (a hash set's), not botocore's. The list
shown for an enum shape of the model is formed so:

* with a recording (``RECORDED``): the recorded members in the recorded order,
  then the members the model gained since (KEY_AGREEMENT, ML_DSA_*, ...) in the
  model's order;
* without one: the model's members in the model's order.

The Region matters for China-only members: a recording made outside China
leaves SM2 out of the key specs, so there such a member is neither listed nor
accepted; in the China Regions (partition ``aws-cn``) it is both, in the
model's place among the newer members.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.model import ServiceModel

# LocalStack's snapshot of responses recorded against real AWS.
_SNAPSHOT = "localstack/localstack tests/aws/services/kms/test_kms.snapshot.json"


@dataclass(frozen=True, slots=True)
class Recording:
    """An enum list as real AWS sent it, and where it was seen."""

    members: tuple[str, ...]
    source: str
    china_only: frozenset[str] = frozenset()


# By the model's shape name.
RECORDED: dict[str, Recording] = {
    "KeySpec": Recording(
        (
            "RSA_2048",
            "ECC_NIST_P384",
            "ECC_NIST_P256",
            "ECC_NIST_P521",
            "HMAC_384",
            "RSA_3072",
            "ECC_SECG_P256K1",
            "RSA_4096",
            "SYMMETRIC_DEFAULT",
            "HMAC_256",
            "HMAC_224",
            "HMAC_512",
        ),
        source=f"{_SNAPSHOT}: test_hmac_create_key_invalid_operations, "
        "create-hmac-key-invalid-spec (CreateKey, 2023-04-13); the same list in "
        "https://github.com/boto/boto3/issues/3428 (GenerateDataKey, 2022-09-22)",
        china_only=frozenset({"SM2"}),
    ),
    "KeyUsageType": Recording(
        ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"),
        source=f"{_SNAPSHOT}: test_hmac_create_key_invalid_operations, "
        "create-hmac-key-invalid-key-usage (CreateKey, 2023-04-13)",
    ),
    "MacAlgorithmSpec": Recording(
        ("HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"),
        source=f"{_SNAPSHOT}: test_invalid_generate_mac[HMAC_256-INVALID], generate-mac "
        "(GenerateMac, 2023-04-13); test_invalid_verify_mac[HMAC_256-INVALID-some important "
        "message], verify-mac (VerifyMac, 2023-04-13)",
    ),
    "KeyAgreementAlgorithmSpec": Recording(
        ("ECDH",),
        source=f"{_SNAPSHOT}: test_derive_shared_secret, response-invalid-key-agreement-algo "
        "(DeriveSharedSecret, 2024-12-25)",
    ),
}

# Shapes whose values AWS checks against their own enum but whose message names
# another shape's list: (that shape, source).
SHOWN_AS: dict[str, tuple[str, str]] = {
    "DataKeySpec": (
        "KeySpec",
        "https://github.com/boto/boto3/issues/3428: GenerateDataKey with KeySpec 'AES-256' "
        "(2022-09-22); GenerateDataKeyWithoutPlaintext shares the shape",
    ),
}


@dataclass(frozen=True, slots=True)
class EnumRule:
    """What an enum shape accepts, and the members its validation message lists."""

    allowed: frozenset[str]
    listed: tuple[str, ...]


def _members(model: ServiceModel, shape_name: str, *, china: bool) -> tuple[str, ...]:
    """The shape's members in the order AWS lists them, in or outside China."""
    model_members: list[str] = model.shape_for(shape_name).metadata["enum"]
    recording = RECORDED.get(shape_name)
    if recording is None:
        return tuple(model_members)
    newer = [member for member in model_members if member not in recording.members]
    left_out = frozenset() if china else recording.china_only
    return tuple(m for m in (*recording.members, *newer) if m not in left_out)


def enum_rule(model: ServiceModel, shape_name: str, *, china: bool) -> EnumRule:
    """The rule of the enum shape ``shape_name`` of ``model``, in or outside China."""
    allowed = _members(model, shape_name, china=china)
    if shape_name not in SHOWN_AS:
        return EnumRule(frozenset(allowed), allowed)
    shown_as, _source = SHOWN_AS[shape_name]
    return EnumRule(frozenset(allowed), _members(model, shown_as, china=china))
