"""Shared operation rules and key-spec facts: each in one place, and right.

* Operation modules take shared rules from private ``_operations/_*`` modules,
  never from a sibling operation module; key-material modules and the models
  import nothing from above them.
* The key-spec table (``_keyspecs``) agrees with the keys actually made and
  with the signing schemes built from it.
* A call names in the audit log the material it sealed with (seal() hands it
  back), as CloudTrail's keyMaterialId does.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kms_mock import MockKMS
from kms_mock._keypairs import CURVES, KeyPair, derive_secret
from kms_mock._keyspecs import (
    ALGORITHMS,
    ASYMMETRIC,
    DIGEST,
    ECC,
    HMAC,
    KEY_SPECS,
    ML_DSA,
    RSA,
    SIGN_VERIFY,
    SM2,
    SYMMETRIC,
    unsupported_reason,
)
from kms_mock._operations.signing import SCHEMES

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

PACKAGE = Path(__file__).resolve().parent.parent / "kms_mock"
SEED = bytes(range(32))
# Bottom-layer modules: they may import each other, nothing else of kms_mock.
KEY_MATERIAL_MODULES = {"_bytestream", "_ed25519ph", "_keypairs", "_keyspecs", "_seeded_rsa"}


def kms_mock_imports(path: Path) -> set[str]:
    """Every kms_mock module ``path`` imports (any depth: TYPE_CHECKING and functions too)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        if not module.startswith("kms_mock"):
            continue
        submodules = [f"{module}.{alias.name}" for alias in node.names]
        if all(
            PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py").exists()
            for name in submodules
        ):
            found.update(submodules)
        else:
            found.add(module)
    return found


# --- Where the rules live -----------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    sorted(p.stem for p in (PACKAGE / "_operations").glob("*.py") if not p.stem.startswith("_")),
)
def test_operation_modules_import_nothing_from_a_sibling_operation_module(module: str) -> None:
    imported = kms_mock_imports(PACKAGE / "_operations" / f"{module}.py")
    siblings = {
        name
        for name in imported
        if name.startswith("kms_mock._operations.") and not name.rpartition(".")[2].startswith("_")
    }
    assert siblings == set()


@pytest.mark.parametrize("module", sorted([*KEY_MATERIAL_MODULES, "_materials", "_models"]))
def test_models_and_key_material_import_nothing_above_them(module: str) -> None:
    allowed = {f"kms_mock.{name}" for name in KEY_MATERIAL_MODULES}
    if module in ("_materials", "_models"):
        # Not even a key-material module: a Protocol (KeySecret) instead.
        allowed = {"kms_mock._schedule", "kms_mock._materials", "kms_mock._grants"}
    assert kms_mock_imports(PACKAGE / f"{module}.py") - allowed == set()


# --- The facts agree with what is made ----------------------------------------------------

MADE_HERE = [
    spec
    for spec, info in KEY_SPECS.items()
    if info.kind not in (SYMMETRIC, SM2) and unsupported_reason(spec) is None
]


@pytest.mark.parametrize("spec", MADE_HERE)
def test_the_key_made_for_a_spec_is_what_its_facts_say(spec: str) -> None:
    info = KEY_SPECS[spec]
    secret = derive_secret(spec, SEED, reproducible=False)
    if info.kind == HMAC:
        assert isinstance(secret, bytes)
        assert len(secret) * 8 == info.bits == int(spec.removeprefix("HMAC_"))
        return
    assert isinstance(secret, KeyPair)
    private = secret.private_key
    if info.kind == RSA:
        assert isinstance(private, rsa.RSAPrivateKey)
        assert private.key_size == info.bits == int(spec.removeprefix("RSA_"))
    elif info.kind == ECC:
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        assert private.curve.name == info.curve == CURVES[spec].name
    elif info.kind == ML_DSA:
        assert str(info.parameter_set) == spec.removeprefix("ML_DSA_")
        assert type(private).__name__.startswith(f"MLDSA{info.parameter_set}")
    assert info.key_type == ASYMMETRIC


def test_every_algorithm_a_key_spec_offers_is_a_known_algorithm() -> None:
    offered = {
        name for info in KEY_SPECS.values() for names in info.algorithms.values() for name in names
    }
    assert offered == set(ALGORITHMS)


def test_every_signing_algorithm_of_a_key_made_here_has_a_scheme() -> None:
    signing = {
        name for spec in MADE_HERE for name in KEY_SPECS[spec].algorithms.get(SIGN_VERIFY, ())
    }
    assert signing == set(SCHEMES)
    for name, scheme in SCHEMES.items():
        if scheme.digest is not None and DIGEST in scheme.message_types:
            # The digest a DIGEST message must be as long as: the name's SHA size.
            assert scheme.digest_size * 8 == int(name.rpartition("_")[2])


# --- seal() hands back its material; the call names it in the audit log -------------------


def material_in_audit(kms: MockKMS, event_name: str) -> Any:
    [event] = [e for e in kms.audit_log if e["eventName"] == event_name]
    return event.get("additionalEventData", {}).get("keyMaterialId")


def test_reencrypt_names_the_destination_material_it_sealed_with(
    client: KMSClient, kms: MockKMS
) -> None:
    source = client.create_key()["KeyMetadata"]
    destination = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=source["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    client.rotate_key_on_demand(KeyId=destination)
    current = client.describe_key(KeyId=destination)["KeyMetadata"]["CurrentKeyMaterialId"]
    response = client.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination)
    assert response["SourceKeyMaterialId"] == source["CurrentKeyMaterialId"]
    assert response["DestinationKeyMaterialId"] == current
    assert material_in_audit(kms, "ReEncrypt") == current


def test_reencrypt_to_an_rsa_key_names_no_material(client: KMSClient, kms: MockKMS) -> None:
    source = client.create_key()["KeyMetadata"]["KeyId"]
    rsa_key = client.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    blob = client.encrypt(KeyId=source, Plaintext=b"x")["CiphertextBlob"]
    response = client.re_encrypt(
        CiphertextBlob=blob,
        DestinationKeyId=rsa_key["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    members = {"SourceKeyMaterialId", "DestinationKeyMaterialId"} & set(response)
    assert members == {"SourceKeyMaterialId"}  # the symmetric side only
    assert material_in_audit(kms, "ReEncrypt") is None


def test_a_dry_run_seals_nothing_and_names_no_material(client: KMSClient, kms: MockKMS) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        client.encrypt(KeyId=key_id, Plaintext=b"x", DryRun=True)
    assert excinfo.value.response["Error"]["Code"] == "DryRunOperationException"
    assert material_in_audit(kms, "Encrypt") is None
