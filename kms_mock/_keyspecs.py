"""Key-spec and algorithm facts: one table each, read by every module that needs them.

What a KeySpec is (kind, size, curve), which key usages it allows and which
algorithms it offers per usage, whether KeyMetadata shows it as the deprecated
CustomerMasterKeySpec, and whether kms_mock can make it here. Plain data: the
cryptography objects that implement a spec are built from these rows where
keys are made (``_keypairs``) and used (``_operations``). Sources: botocore's
``CreateKeyRequest`` (KeySpec, KeyUsage) and ``KeyMetadata`` shapes, and
https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SYMMETRIC_DEFAULT: Final = "SYMMETRIC_DEFAULT"

# Key usages.
ENCRYPT_DECRYPT: Final = "ENCRYPT_DECRYPT"
SIGN_VERIFY: Final = "SIGN_VERIFY"
GENERATE_VERIFY_MAC: Final = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT: Final = "KEY_AGREEMENT"

# Kinds of key spec: what the key material is.
SYMMETRIC: Final = "SYMMETRIC"
HMAC: Final = "HMAC"
RSA: Final = "RSA"
ECC: Final = "ECC"
ED25519: Final = "ED25519"
ML_DSA: Final = "ML_DSA"
SM2: Final = "SM2"
ASYMMETRIC: Final = "ASYMMETRIC"  # a key type (UpdateAlias), not a kind: RSA to SM2

# Signing MessageType values.
RAW: Final = "RAW"
DIGEST: Final = "DIGEST"
EXTERNAL_MU: Final = "EXTERNAL_MU"


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One algorithm a key offers: its family, its hash and (signing) its message types."""

    name: str
    family: str  # SYMMETRIC, OAEP, PSS, PKCS1, ECDSA, ED25519, ED25519_PH, ML_DSA, HMAC, SM2, ECDH
    hash: str | None = None  # hashlib's name of the hash it uses
    message_types: tuple[str, ...] = ()  # Sign/Verify: the MessageType values it accepts


def _family(family: str, template: str, sizes: tuple[str, ...], *types: str) -> list[Algorithm]:
    """One algorithm per SHA size: the size in its name is the size of its hash."""
    return [Algorithm(template.format(size), family, f"sha{size}", types) for size in sizes]


_SHA2 = ("256", "384", "512")
ALGORITHMS: Final[dict[str, Algorithm]] = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm(SYMMETRIC_DEFAULT, SYMMETRIC),
        *_family("OAEP", "RSAES_OAEP_SHA_{}", ("1", "256")),
        *_family("PKCS1", "RSASSA_PKCS1_V1_5_SHA_{}", _SHA2, RAW, DIGEST),
        *_family("PSS", "RSASSA_PSS_SHA_{}", _SHA2, RAW, DIGEST),
        *_family("ECDSA", "ECDSA_SHA_{}", _SHA2, RAW, DIGEST),
        # ED25519_SHA_512 signs the message itself, ED25519_PH_SHA_512 its SHA-512 (the
        # MessageType member of botocore's SignRequest).
        Algorithm("ED25519_SHA_512", ED25519, "sha512", (RAW,)),
        Algorithm("ED25519_PH_SHA_512", "ED25519_PH", "sha512", (DIGEST,)),
        Algorithm("ML_DSA_SHAKE_256", ML_DSA, None, (RAW, EXTERNAL_MU)),
        *_family(HMAC, "HMAC_SHA_{}", ("224", "256", "384", "512")),
        Algorithm("SM2PKE", SM2),
        Algorithm("SM2DSA", SM2),
        Algorithm("ECDH", "ECDH"),
    )
}


def _names(family: str) -> tuple[str, ...]:
    return tuple(name for name, algorithm in ALGORITHMS.items() if algorithm.family == family)


@dataclass(frozen=True, slots=True)
class KeySpecInfo:
    """One KeySpec: its material, its usages and, per usage, the algorithms it offers."""

    name: str
    kind: str
    algorithms: dict[str, tuple[str, ...]]  # usage -> algorithm names, in KeyMetadata's order
    default_usage: str | None = None  # None: KeyUsage must be given
    bits: int = 0  # RSA: the modulus; HMAC: the key's length
    curve: str = ""  # ECC: the curve's name in the cryptography package
    parameter_set: int = 0  # ML-DSA: FIPS 204's 44, 65 or 87
    # Whether the deprecated CustomerMasterKeySpec enum has this spec (newer specs have none).
    legacy: bool = True

    @property
    def usages(self) -> tuple[str, ...]:
        """The key usages this spec accepts."""
        return tuple(self.algorithms)

    @property
    def key_type(self) -> str:
        """SYMMETRIC, HMAC or ASYMMETRIC: the key types UpdateAlias keeps apart."""
        return self.kind if self.kind in (SYMMETRIC, HMAC) else ASYMMETRIC


def _ecc(name: str, curve: str, signing: str, *, agreement: bool) -> KeySpecInfo:
    algorithms: dict[str, tuple[str, ...]] = {SIGN_VERIFY: (signing,)}
    if agreement:
        algorithms[KEY_AGREEMENT] = ("ECDH",)
    return KeySpecInfo(name, ECC, algorithms, curve=curve)


KEY_SPECS: dict[str, KeySpecInfo] = {
    info.name: info
    for info in (
        KeySpecInfo(
            SYMMETRIC_DEFAULT, SYMMETRIC, {ENCRYPT_DECRYPT: (SYMMETRIC_DEFAULT,)}, ENCRYPT_DECRYPT
        ),
        *(
            KeySpecInfo(
                f"HMAC_{bits}", HMAC, {GENERATE_VERIFY_MAC: (f"HMAC_SHA_{bits}",)}, bits=bits
            )
            for bits in (224, 256, 384, 512)
        ),
        *(
            KeySpecInfo(
                f"RSA_{bits}",
                RSA,
                {ENCRYPT_DECRYPT: _names("OAEP"), SIGN_VERIFY: _names("PKCS1") + _names("PSS")},
                bits=bits,
            )
            for bits in (2048, 3072, 4096)
        ),
        _ecc("ECC_NIST_P256", "secp256r1", "ECDSA_SHA_256", agreement=True),
        _ecc("ECC_NIST_P384", "secp384r1", "ECDSA_SHA_384", agreement=True),
        _ecc("ECC_NIST_P521", "secp521r1", "ECDSA_SHA_512", agreement=True),
        _ecc("ECC_SECG_P256K1", "secp256k1", "ECDSA_SHA_256", agreement=False),
        KeySpecInfo(
            "ECC_NIST_EDWARDS25519",
            ED25519,
            {SIGN_VERIFY: ("ED25519_SHA_512", "ED25519_PH_SHA_512")},
            legacy=False,
        ),
        *(
            KeySpecInfo(
                f"ML_DSA_{level}",
                ML_DSA,
                {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)},
                parameter_set=level,
                legacy=False,
            )
            for level in (44, 65, 87)
        ),
        KeySpecInfo(
            "SM2",
            SM2,
            {ENCRYPT_DECRYPT: ("SM2PKE",), SIGN_VERIFY: ("SM2DSA",), KEY_AGREEMENT: ("ECDH",)},
        ),
    )
}

# KeyMetadata member that lists the algorithms of each usage.
ALGORITHM_MEMBER: Final = {
    ENCRYPT_DECRYPT: "EncryptionAlgorithms",
    SIGN_VERIFY: "SigningAlgorithms",
    GENERATE_VERIFY_MAC: "MacAlgorithms",
    KEY_AGREEMENT: "KeyAgreementAlgorithms",
}


def is_symmetric_encryption(key_spec: str) -> bool:
    """Whether keys of this spec hold versioned AES material (and can rotate)."""
    return key_spec == SYMMETRIC_DEFAULT


def unsupported_reason(key_spec: str) -> str | None:
    """Why kms_mock cannot make keys of ``key_spec`` here, or None if it can.

    SM2 never (the cryptography package has none); ML-DSA and Ed25519 only
    where the installed cryptography's OpenSSL can do them.
    """
    spec = KEY_SPECS.get(key_spec)
    if spec is None:  # a KeyPairSpec of a newer botocore model than kms_mock knows
        return f"kms_mock does not know key spec {key_spec}"
    kind = spec.kind
    if kind == SM2:
        return "the cryptography package has no SM2"
    if kind not in (ML_DSA, ED25519):
        return None
    # Imported here: the OpenSSL backend would add to ``import kms_mock``.
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    supported = backend.mldsa_supported() if kind == ML_DSA else backend.ed25519_supported()
    if supported:
        return None
    build = f"cryptography {cryptography.__version__} with {backend.openssl_version_text()}"
    return f"{build} cannot do {'ML-DSA' if kind == ML_DSA else 'Ed25519'}"
