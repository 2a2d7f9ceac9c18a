"""What each KeySpec allows: key usages and the algorithms KeyMetadata lists.

One table drives CreateKey's validation, KeyMetadata's algorithm lists and,
later, which cryptographic operations a key accepts (spec §4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"

_RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
_RSA_SIGNING = (
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
)


@dataclass(frozen=True, slots=True)
class KeySpecInfo:
    """The usages a key spec allows and, per usage, the algorithms it offers."""

    name: str
    algorithms: dict[str, tuple[str, ...]]  # usage -> algorithm names
    default_usage: str | None = None  # None: KeyUsage must be given

    @property
    def usages(self) -> tuple[str, ...]:
        """The key usages this spec accepts."""
        return tuple(self.algorithms)


def _spec(name: str, default: str | None = None, **algorithms: tuple[str, ...]) -> KeySpecInfo:
    return KeySpecInfo(name, dict(algorithms), default)


KEY_SPECS: dict[str, KeySpecInfo] = {
    info.name: info
    for info in (
        _spec(SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, ENCRYPT_DECRYPT=(SYMMETRIC_DEFAULT,)),
        *(
            _spec(f"HMAC_{bits}", GENERATE_VERIFY_MAC=(f"HMAC_SHA_{bits}",))
            for bits in (224, 256, 384, 512)
        ),
        *(
            _spec(f"RSA_{bits}", ENCRYPT_DECRYPT=_RSA_ENCRYPTION, SIGN_VERIFY=_RSA_SIGNING)
            for bits in (2048, 3072, 4096)
        ),
        *(
            _spec(
                f"ECC_NIST_P{curve}", SIGN_VERIFY=(f"ECDSA_SHA_{digest}",), KEY_AGREEMENT=("ECDH",)
            )
            for curve, digest in ((256, 256), (384, 384), (521, 512))
        ),
        _spec("ECC_SECG_P256K1", SIGN_VERIFY=("ECDSA_SHA_256",)),
        _spec("ECC_NIST_EDWARDS25519", SIGN_VERIFY=("ED25519_SHA_512", "ED25519_PH_SHA_512")),
        *(_spec(f"ML_DSA_{level}", SIGN_VERIFY=("ML_DSA_SHAKE_256",)) for level in (44, 65, 87)),
        _spec("SM2", ENCRYPT_DECRYPT=("SM2PKE",), SIGN_VERIFY=("SM2DSA",), KEY_AGREEMENT=("ECDH",)),
    )
}

# KeyMetadata member that lists the algorithms of each usage.
ALGORITHM_MEMBER = {
    ENCRYPT_DECRYPT: "EncryptionAlgorithms",
    SIGN_VERIFY: "SigningAlgorithms",
    GENERATE_VERIFY_MAC: "MacAlgorithms",
    KEY_AGREEMENT: "KeyAgreementAlgorithms",
}

# CustomerMasterKeySpec (deprecated) has no value for the post-2023 specs.
LEGACY_SPECS = frozenset(
    {
        "RSA_2048",
        "RSA_3072",
        "RSA_4096",
        "ECC_NIST_P256",
        "ECC_NIST_P384",
        "ECC_NIST_P521",
        "ECC_SECG_P256K1",
        SYMMETRIC_DEFAULT,
        "HMAC_224",
        "HMAC_256",
        "HMAC_384",
        "HMAC_512",
        "SM2",
    }
)


def is_symmetric_encryption(key_spec: str) -> bool:
    """Whether keys of this spec hold versioned AES material (and can rotate)."""
    return key_spec == SYMMETRIC_DEFAULT
