"""Grants inside enforced permissions, end to end through boto3 clients with distinct credentials.

A grant is the only thing that lets these grantees in: the keys' policies name
an administrator and nobody else, and the grantees have no identity policy.
What a grant allows (its operations, its constraints, a role's sessions, a
child grant), what still beats it (an explicit Deny), who may retire or
revoke it, grant tokens in every operation that takes them, DryRun, key
deletion, and the audit records, each with AWS's code and full message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from kms_mock import FrozenClock, MockKMS
from kms_mock._shapes import service_model
from tests._helpers import ACCOUNT, client_as, error_of, new_key, raises

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

OTHER = "444455556666"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/Admin"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/Bob"
CAROL = f"arn:aws:iam::{OTHER}:user/Carol"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/App"
# What a client registered for APP_ROLE calls as, and another session of the role.
APP_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/kms-mock"
OTHER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/other"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."
HIDDEN = (
    "because the resource does not exist in this Region, no resource-based policies allow "
    "access, or a resource-based policy explicitly denies access"
)
INVALID_TOKEN = ("InvalidGrantTokenException", "Invalid grant token.", 400)


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(effect: str, action: Any = "kms:*", **more: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": "*", **more}


# The administrator's key policy: no statement for the account, so no identity
# policy can let anyone else in; only grants do.
ADMIN_ONLY = document(statement("Allow", Principal={"AWS": ADMIN}))


def no_resource_allow(principal: str, action: str, key_arn: str) -> tuple[str, str, int]:
    """AccessDenied for a caller of the key's account whom no key-policy statement names."""
    return (
        "AccessDeniedException",
        f"User: {principal} is not authorized to perform: {action} on resource: {key_arn} "
        f"because no resource-based policy allows the {action} action",
        400,
    )


def hidden(principal: str, action: str, resource: str = "this resource") -> tuple[str, str, int]:
    """AccessDenied for a caller of another account, whom the key's existence is not shown."""
    return (
        "AccessDeniedException",
        f"User: {principal} is not authorized to perform: {action} on {resource} {HIDDEN}",
        400,
    )


def denied_outside_grant(principal: str, action: str, key_arn: str) -> tuple[str, str, int]:
    """The denial a grant-only caller gets: no resource-based allow, or hidden across accounts."""
    if f"::{ACCOUNT}:" in principal:
        return no_resource_allow(principal, action, key_arn)
    return hidden(principal, action)


@pytest.fixture
def admin(kms: MockKMS) -> KMSClient:
    """The administrator: its identity policy allows all of KMS, so it may create keys."""
    kms.iam.attach(ADMIN, document(statement("Allow")))
    return client_as(kms, ADMIN)


def admin_key(admin: KMSClient, *, policy: Mapping[str, Any] = ADMIN_ONLY, **create: Any) -> Any:
    """A key whose policy lets the administrator alone in."""
    return new_key(admin, Policy=json.dumps(policy), **create)


def give(admin: KMSClient, key: dict[str, Any], grantee: str, *operations: str, **more: Any) -> Any:
    """CreateGrant by the administrator: its GrantId and GrantToken."""
    granted: Any = list(operations)  # GrantOperation names
    return admin.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=granted, **more
    )


# -- 1. a grant alone allows its operations, and only those ------------------------------------


@dataclass(frozen=True)
class Use:
    """One use of a key: the grant operations it needs, and the call a grantee makes."""

    grant: tuple[str, ...]
    call: Callable[[KMSClient, str, dict[str, Any]], object]
    action: str  # the permission it asks


def _made(admin: KMSClient, key: dict[str, Any]) -> dict[str, Any]:
    """What the administrator makes for the calls to use: a ciphertext, a signature, a MAC."""
    usage, arn = key["KeyUsage"], key["Arn"]
    if usage == "SIGN_VERIFY":
        signed = admin.sign(KeyId=arn, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
        return {"signature": signed["Signature"]}
    if usage == "GENERATE_VERIFY_MAC":
        return {"mac": admin.generate_mac(KeyId=arn, Message=b"m", MacAlgorithm="HMAC_SHA_256")}
    return {"blob": admin.encrypt(KeyId=arn, Plaintext=b"secret")["CiphertextBlob"]}


ENCRYPT = Use(("Encrypt",), lambda c, k, m: c.encrypt(KeyId=k, Plaintext=b"x"), "kms:Encrypt")
DECRYPT = Use(
    ("Decrypt",),
    lambda c, k, m: c.decrypt(CiphertextBlob=m["blob"], KeyId=k),
    "kms:Decrypt",
)
GENERATE_DATA_KEY = Use(
    ("GenerateDataKey",),
    lambda c, k, m: c.generate_data_key(KeyId=k, KeySpec="AES_256"),
    "kms:GenerateDataKey",
)
GENERATE_DATA_KEY_WITHOUT_PLAINTEXT = Use(
    ("GenerateDataKeyWithoutPlaintext",),
    lambda c, k, m: c.generate_data_key_without_plaintext(KeyId=k, KeySpec="AES_256"),
    "kms:GenerateDataKeyWithoutPlaintext",
)
RE_ENCRYPT = Use(
    ("ReEncryptFrom", "ReEncryptTo"),
    lambda c, k, m: c.re_encrypt(CiphertextBlob=m["blob"], SourceKeyId=k, DestinationKeyId=k),
    "kms:ReEncryptFrom",
)
SIGN = Use(
    ("Sign",),
    lambda c, k, m: c.sign(KeyId=k, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
    "kms:Sign",
)
VERIFY = Use(
    ("Verify",),
    lambda c, k, m: c.verify(
        KeyId=k, Message=b"m", Signature=m["signature"], SigningAlgorithm="ECDSA_SHA_256"
    ),
    "kms:Verify",
)
GENERATE_MAC = Use(
    ("GenerateMac",),
    lambda c, k, m: c.generate_mac(KeyId=k, Message=b"m", MacAlgorithm="HMAC_SHA_256"),
    "kms:GenerateMac",
)
VERIFY_MAC = Use(
    ("VerifyMac",),
    lambda c, k, m: c.verify_mac(
        KeyId=k, Message=b"m", Mac=m["mac"]["Mac"], MacAlgorithm="HMAC_SHA_256"
    ),
    "kms:VerifyMac",
)
DESCRIBE_KEY = Use(("DescribeKey",), lambda c, k, m: c.describe_key(KeyId=k), "kms:DescribeKey")

SIGNING_KEY: dict[str, Any] = {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}
MAC_KEY: dict[str, Any] = {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}

# (key, the granted use, a neighbouring use the grant does not cover)
GRANTED_USES: dict[str, tuple[dict[str, Any], Use, Use]] = {
    "Encrypt": ({}, ENCRYPT, GENERATE_DATA_KEY),
    "Decrypt": ({}, DECRYPT, ENCRYPT),
    "GenerateDataKey": ({}, GENERATE_DATA_KEY, GENERATE_DATA_KEY_WITHOUT_PLAINTEXT),
    "ReEncrypt": ({}, RE_ENCRYPT, DECRYPT),
    "Sign": (SIGNING_KEY, SIGN, VERIFY),
    "Verify": (SIGNING_KEY, VERIFY, SIGN),
    "GenerateMac": (MAC_KEY, GENERATE_MAC, VERIFY_MAC),
    "DescribeKey": ({}, DESCRIBE_KEY, ENCRYPT),
}


@pytest.mark.parametrize("grantee", [ALICE, CAROL], ids=["same-account", "other-account"])
@pytest.mark.parametrize("name", list(GRANTED_USES))
def test_a_grant_alone_allows_its_operations_and_no_other(
    kms: MockKMS, admin: KMSClient, name: str, grantee: str
) -> None:
    create, granted, neighbour = GRANTED_USES[name]
    key = admin_key(admin, **create)
    made = _made(admin, key)
    caller = client_as(kms, grantee)
    give(admin, key, grantee, *granted.grant)
    granted.call(caller, key["Arn"], made)
    excinfo = raises(lambda: neighbour.call(caller, key["Arn"], made))
    assert error_of(excinfo) == denied_outside_grant(grantee, neighbour.action, key["Arn"])


def test_without_its_grant_the_same_call_is_denied(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    alice = client_as(kms, ALICE)
    give(admin, key, BOB, "Encrypt")  # a grant for someone else
    excinfo = raises(lambda: ENCRYPT.call(alice, key["Arn"], {}))
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:Encrypt", key["Arn"])


def test_re_encrypt_needs_each_side_granted(kms: MockKMS, admin: KMSClient) -> None:
    source, destination = admin_key(admin), admin_key(admin)
    blob = admin.encrypt(KeyId=source["Arn"], Plaintext=b"x")["CiphertextBlob"]
    alice = client_as(kms, ALICE)
    give(admin, source, ALICE, "ReEncryptFrom")

    def re_encrypt() -> object:
        return alice.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["Arn"])

    excinfo = raises(re_encrypt)
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:ReEncryptTo", destination["Arn"])
    give(admin, destination, ALICE, "ReEncryptTo")
    moved = re_encrypt()
    assert isinstance(moved, dict)
    assert moved["SourceKeyId"] == source["Arn"]
    assert moved["KeyId"] == destination["Arn"]


def test_a_grant_to_another_account_decrypts_without_naming_the_key(
    kms: MockKMS, admin: KMSClient
) -> None:
    key = admin_key(admin)
    blob = admin.encrypt(KeyId=key["Arn"], Plaintext=b"shared")["CiphertextBlob"]
    carol = client_as(kms, CAROL)
    excinfo = raises(lambda: carol.decrypt(CiphertextBlob=blob))
    ciphertext = "the resource associated with this ciphertext"
    assert error_of(excinfo) == hidden(CAROL, "kms:Decrypt", ciphertext)
    give(admin, key, CAROL, "Decrypt")
    assert carol.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"


def test_under_the_default_policy_a_grantee_outside_its_grant_is_told_of_iam(
    kms: MockKMS, client: KMSClient
) -> None:
    # The default policy delegates to the account: the denial is form #2, whatever
    # grants the caller holds (a grant never changes why a call is denied).
    key = new_key(client)
    alice = client_as(kms, ALICE)
    client.create_grant(KeyId=key["KeyId"], GranteePrincipal=ALICE, Operations=["Encrypt"])
    ENCRYPT.call(alice, key["Arn"], {})
    excinfo = raises(lambda: alice.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256"))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {ALICE} is not authorized to perform: kms:GenerateDataKey on resource: "
        f"{key['Arn']} because no identity-based policy allows the kms:GenerateDataKey action",
        400,
    )


# -- 2. constraints under enforcement -----------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"Dept": "IT"}, True),
        ({"dept": "IT", "Project": "x"}, True),  # keys ignore case; more pairs are fine
        ({"Dept": "it"}, False),  # values do not ignore case
        ({"Project": "x"}, False),
        (None, False),
    ],
)
def test_subset_constraint(
    kms: MockKMS, admin: KMSClient, context: dict[str, str] | None, allowed: bool
) -> None:
    key = admin_key(admin)
    give(admin, key, ALICE, "Encrypt", Constraints={"EncryptionContextSubset": {"Dept": "IT"}})
    alice = client_as(kms, ALICE)
    kwargs: dict[str, Any] = {} if context is None else {"EncryptionContext": context}

    def encrypt() -> object:
        return alice.encrypt(KeyId=key["Arn"], Plaintext=b"x", **kwargs)

    if allowed:
        encrypt()
    else:
        assert error_of(raises(encrypt)) == no_resource_allow(ALICE, "kms:Encrypt", key["Arn"])


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"Dept": "IT", "Env": "prod"}, True),
        ({"env": "prod", "DEPT": "IT"}, True),
        ({"Dept": "IT"}, False),
        ({"Dept": "IT", "Env": "prod", "More": "x"}, False),
        ({"Dept": "IT", "Env": "Prod"}, False),
    ],
)
def test_equals_constraint(
    kms: MockKMS, admin: KMSClient, context: dict[str, str], allowed: bool
) -> None:
    key = admin_key(admin)
    pairs = {"Dept": "IT", "Env": "prod"}
    give(admin, key, CAROL, "GenerateDataKey", Constraints={"EncryptionContextEquals": pairs})
    carol = client_as(kms, CAROL)

    def generate() -> object:
        return carol.generate_data_key(
            KeyId=key["Arn"], KeySpec="AES_256", EncryptionContext=context
        )

    if allowed:
        generate()
    else:
        assert error_of(raises(generate)) == hidden(CAROL, "kms:GenerateDataKey")


def test_decrypt_with_the_constrained_context(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    context = {"Dept": "IT"}
    blob = admin.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=context)
    give(admin, key, ALICE, "Decrypt", Constraints={"EncryptionContextEquals": context})
    alice = client_as(kms, ALICE)
    decrypted = alice.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=context)
    assert decrypted["Plaintext"] == b"x"
    # Without the context the grant does not apply: denied before the ciphertext is read.
    excinfo = raises(lambda: alice.decrypt(CiphertextBlob=blob["CiphertextBlob"]))
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:Decrypt", key["Arn"])


def test_re_encrypt_constraints_apply_to_each_sides_context(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    source_context, destination_context = {"side": "source"}, {"side": "destination"}
    blob = admin.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=source_context)
    give(
        admin,
        key,
        ALICE,
        "ReEncryptFrom",
        Constraints={"EncryptionContextEquals": source_context},
    )
    give(
        admin,
        key,
        ALICE,
        "ReEncryptTo",
        Constraints={"EncryptionContextEquals": destination_context},
    )
    alice = client_as(kms, ALICE)

    def re_encrypt(destination: dict[str, str]) -> object:
        return alice.re_encrypt(
            CiphertextBlob=blob["CiphertextBlob"],
            SourceEncryptionContext=source_context,
            DestinationKeyId=key["Arn"],
            DestinationEncryptionContext=destination,
        )

    re_encrypt(destination_context)
    excinfo = raises(lambda: re_encrypt(source_context))
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:ReEncryptTo", key["Arn"])


def test_describe_key_ignores_the_constraints(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(
        admin,
        key,
        ALICE,
        "DescribeKey",
        "Encrypt",
        Constraints={"EncryptionContextEquals": {"Dept": "IT"}},
    )
    described = client_as(kms, ALICE).describe_key(KeyId=key["Arn"])
    assert described["KeyMetadata"]["Arn"] == key["Arn"]


# -- 3. an explicit Deny beats a grant ------------------------------------------------------


def test_a_key_policy_deny_beats_a_grant(kms: MockKMS, admin: KMSClient) -> None:
    policy = document(
        statement("Allow", Principal={"AWS": ADMIN}),
        statement("Deny", "kms:Encrypt", Principal={"AWS": [ALICE, CAROL]}),
    )
    key = admin_key(admin, policy=policy)
    for grantee in (ALICE, CAROL):
        give(admin, key, grantee, "Encrypt", "GenerateDataKey")
    alice, carol = client_as(kms, ALICE), client_as(kms, CAROL)
    assert error_of(raises(lambda: ENCRYPT.call(alice, key["Arn"], {}))) == (
        "AccessDeniedException",
        f"User: {ALICE} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
        "with an explicit deny in a resource-based policy",
        400,
    )
    assert error_of(raises(lambda: ENCRYPT.call(carol, key["Arn"], {}))) == hidden(
        CAROL, "kms:Encrypt"
    )
    GENERATE_DATA_KEY.call(alice, key["Arn"], {})  # the Deny names Encrypt only


def test_an_identity_policy_deny_beats_a_grant(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(admin, key, CAROL, "Encrypt")
    kms.iam.attach(CAROL, document(statement("Deny", "kms:Encrypt")))
    excinfo = raises(lambda: ENCRYPT.call(client_as(kms, CAROL), key["Arn"], {}))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {CAROL} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
        "with an explicit deny in an identity-based policy",
        400,
    )


# -- 4. roles and sessions ------------------------------------------------------------------


def test_a_grant_to_a_role_covers_its_sessions(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(admin, key, APP_ROLE, "Encrypt")
    for session in (APP_SESSION, OTHER_SESSION):
        ENCRYPT.call(client_as(kms, session), key["Arn"], {})


def test_a_grant_to_a_session_covers_that_session_only(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(admin, key, APP_SESSION, "Encrypt")
    ENCRYPT.call(client_as(kms, APP_SESSION), key["Arn"], {})
    excinfo = raises(lambda: ENCRYPT.call(client_as(kms, OTHER_SESSION), key["Arn"], {}))
    assert error_of(excinfo) == no_resource_allow(OTHER_SESSION, "kms:Encrypt", key["Arn"])


# -- 5. CreateGrant allowed by a grant --------------------------------------------------------


def test_a_grant_with_create_grant_makes_narrower_grants(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    subset = {"EncryptionContextSubset": {"tenant": "acme"}}
    give(admin, key, CAROL, "CreateGrant", "Encrypt", "Decrypt", Constraints=subset)
    carol = client_as(kms, CAROL)
    stricter: Any = {"EncryptionContextEquals": {"tenant": "acme", "app": "billing"}}
    child = carol.create_grant(
        KeyId=key["Arn"], GranteePrincipal=ALICE, Operations=["Encrypt"], Constraints=stricter
    )
    [entry] = admin.list_grants(KeyId=key["KeyId"], GrantId=child["GrantId"])["Grants"]
    assert entry["IssuingAccount"] == f"arn:aws:iam::{OTHER}:root"
    assert entry["Constraints"] == stricter
    alice = client_as(kms, ALICE)
    alice.encrypt(
        KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=stricter["EncryptionContextEquals"]
    )


@pytest.mark.parametrize(
    ("operations", "constraints"),
    [
        (["Encrypt", "GenerateDataKey"], {"EncryptionContextSubset": {"tenant": "acme"}}),
        (["Encrypt"], None),
        (["Encrypt"], {"EncryptionContextSubset": {"app": "billing"}}),
        (["Encrypt"], {"EncryptionContextSubset": {"tenant": "ACME"}}),
    ],
    ids=["more-operations", "no-constraint", "other-pairs", "other-value"],
)
def test_a_wider_child_grant_is_refused(
    kms: MockKMS, admin: KMSClient, operations: Any, constraints: dict[str, Any] | None
) -> None:
    key = admin_key(admin)
    subset = {"EncryptionContextSubset": {"tenant": "acme"}}
    give(admin, key, ALICE, "CreateGrant", "Encrypt", Constraints=subset)
    alice = client_as(kms, ALICE)
    more: dict[str, Any] = {} if constraints is None else {"Constraints": constraints}
    excinfo = raises(
        lambda: alice.create_grant(
            KeyId=key["Arn"], GranteePrincipal=BOB, Operations=operations, **more
        )
    )
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:CreateGrant", key["Arn"])
    assert len(admin.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


# -- 6. RetireGrant and RevokeGrant -------------------------------------------------------------


def test_retirement_by_the_retiring_principal_of_another_account(
    kms: MockKMS, admin: KMSClient
) -> None:
    key = admin_key(admin)
    created = give(admin, key, ALICE, "Decrypt", RetiringPrincipal=CAROL)
    client_as(kms, CAROL).retire_grant(GrantToken=created["GrantToken"])
    assert admin.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_retirement_by_a_grantee_of_another_account_by_key_arn(
    kms: MockKMS, admin: KMSClient
) -> None:
    key = admin_key(admin)
    created = give(admin, key, CAROL, "Decrypt", "RetireGrant")
    client_as(kms, CAROL).retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])
    assert admin.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_retirement_by_the_issuing_account_through_iam(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    created = give(admin, key, ALICE, "Decrypt")
    bob = client_as(kms, BOB)
    assert error_of(raises(lambda: bob.retire_grant(GrantToken=created["GrantToken"])))[0] == (
        "AccessDeniedException"
    )
    kms.iam.attach(BOB, document(statement("Allow", "kms:RetireGrant")))
    bob.retire_grant(GrantToken=created["GrantToken"])
    assert admin.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_a_stranger_may_not_retire(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    created = give(admin, key, ALICE, "Decrypt", RetiringPrincipal=ALICE)
    excinfo = raises(lambda: client_as(kms, CAROL).retire_grant(GrantToken=created["GrantToken"]))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {CAROL} is not authorized to perform: kms:RetireGrant on resource: "
        f"{key['Arn']} because no identity-based policy allows the kms:RetireGrant action",
        400,
    )
    assert len(admin.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_revoke_needs_a_policy_not_a_grant(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    every = ["Decrypt", "Encrypt", "CreateGrant", "RetireGrant", "DescribeKey"]
    created = give(admin, key, ALICE, *every)
    alice = client_as(kms, ALICE)
    excinfo = raises(lambda: alice.revoke_grant(KeyId=key["Arn"], GrantId=created["GrantId"]))
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:RevokeGrant", key["Arn"])
    assert len(admin.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_revoke_across_accounts_needs_both_policies(kms: MockKMS, admin: KMSClient) -> None:
    policy = document(
        statement("Allow", Principal={"AWS": ADMIN}),
        statement("Allow", "kms:RevokeGrant", Principal={"AWS": f"arn:aws:iam::{OTHER}:root"}),
    )
    key = admin_key(admin, policy=policy)
    created = give(admin, key, ALICE, "Decrypt")
    carol = client_as(kms, CAROL)

    def revoke() -> object:
        return carol.revoke_grant(KeyId=key["Arn"], GrantId=created["GrantId"])

    assert error_of(raises(revoke)) == (
        "AccessDeniedException",
        f"User: {CAROL} is not authorized to perform: kms:RevokeGrant on resource: "
        f"{key['Arn']} because no identity-based policy allows the kms:RevokeGrant action",
        400,
    )
    kms.iam.attach(CAROL, document(statement("Allow", "kms:RevokeGrant")))
    revoke()
    assert admin.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_revoke_across_accounts_without_the_key_policy_is_hidden(
    kms: MockKMS, admin: KMSClient
) -> None:
    key = admin_key(admin)
    created = give(admin, key, CAROL, "Decrypt")
    kms.iam.attach(CAROL, document(statement("Allow", "kms:RevokeGrant")))
    carol = client_as(kms, CAROL)
    excinfo = raises(lambda: carol.revoke_grant(KeyId=key["Arn"], GrantId=created["GrantId"]))
    assert error_of(excinfo) == hidden(CAROL, "kms:RevokeGrant")


# -- 7. grant tokens in every operation that takes them ----------------------------------------

# Each operation whose input has GrantTokens, called with ``tokens`` on keys of the right kind.
TOKEN_CALLS: dict[str, Callable[[KMSClient, dict[str, Any], list[str]], object]] = {
    "CreateGrant": lambda c, k, t: c.create_grant(
        KeyId=k["symmetric"], GranteePrincipal=BOB, Operations=["Decrypt"], GrantTokens=t
    ),
    "Decrypt": lambda c, k, t: c.decrypt(CiphertextBlob=k["blob"], GrantTokens=t),
    "DeriveSharedSecret": lambda c, k, t: c.derive_shared_secret(
        KeyId=k["agreement"],
        KeyAgreementAlgorithm="ECDH",
        PublicKey=k["public_key"],
        GrantTokens=t,
    ),
    "DescribeKey": lambda c, k, t: c.describe_key(KeyId=k["symmetric"], GrantTokens=t),
    "Encrypt": lambda c, k, t: c.encrypt(KeyId=k["symmetric"], Plaintext=b"x", GrantTokens=t),
    "GenerateDataKey": lambda c, k, t: c.generate_data_key(
        KeyId=k["symmetric"], KeySpec="AES_256", GrantTokens=t
    ),
    "GenerateDataKeyPair": lambda c, k, t: c.generate_data_key_pair(
        KeyId=k["symmetric"], KeyPairSpec="ECC_NIST_P256", GrantTokens=t
    ),
    "GenerateDataKeyPairWithoutPlaintext": lambda c, k, t: (
        c.generate_data_key_pair_without_plaintext(
            KeyId=k["symmetric"], KeyPairSpec="ECC_NIST_P256", GrantTokens=t
        )
    ),
    "GenerateDataKeyWithoutPlaintext": lambda c, k, t: c.generate_data_key_without_plaintext(
        KeyId=k["symmetric"], KeySpec="AES_256", GrantTokens=t
    ),
    "GenerateMac": lambda c, k, t: c.generate_mac(
        KeyId=k["mac"], Message=b"m", MacAlgorithm="HMAC_SHA_256", GrantTokens=t
    ),
    "GetPublicKey": lambda c, k, t: c.get_public_key(KeyId=k["signing"], GrantTokens=t),
    "ReEncrypt": lambda c, k, t: c.re_encrypt(
        CiphertextBlob=k["blob"], DestinationKeyId=k["symmetric"], GrantTokens=t
    ),
    "Sign": lambda c, k, t: c.sign(
        KeyId=k["signing"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256", GrantTokens=t
    ),
    "Verify": lambda c, k, t: c.verify(
        KeyId=k["signing"],
        Message=b"m",
        Signature=k["signature"],
        SigningAlgorithm="ECDSA_SHA_256",
        GrantTokens=t,
    ),
    "VerifyMac": lambda c, k, t: c.verify_mac(
        KeyId=k["mac"], Message=b"m", Mac=k["mac_tag"], MacAlgorithm="HMAC_SHA_256", GrantTokens=t
    ),
}


def test_token_calls_cover_every_operation_with_grant_tokens() -> None:
    model = service_model()
    inputs = {name: model.operation_model(name).input_shape for name in model.operation_names}
    with_tokens = {
        name
        for name, shape in inputs.items()
        if shape is not None and "GrantTokens" in shape.members
    }
    assert set(TOKEN_CALLS) == with_tokens


def _keys_for_tokens(client: KMSClient) -> dict[str, Any]:
    symmetric = new_key(client)["Arn"]
    signing = new_key(client, **SIGNING_KEY)["Arn"]
    mac = new_key(client, **MAC_KEY)["Arn"]
    agreement = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["Arn"]
    peer = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["Arn"]
    return {
        "symmetric": symmetric,
        "signing": signing,
        "mac": mac,
        "agreement": agreement,
        "public_key": client.get_public_key(KeyId=peer)["PublicKey"],
        "blob": client.encrypt(KeyId=symmetric, Plaintext=b"x")["CiphertextBlob"],
        "signature": client.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")[
            "Signature"
        ],
        "mac_tag": client.generate_mac(KeyId=mac, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"],
    }


@pytest.mark.parametrize("operation", sorted(TOKEN_CALLS))
def test_a_malformed_grant_token_is_refused_by_every_operation(
    kms: MockKMS, client: KMSClient, operation: str
) -> None:
    keys = _keys_for_tokens(client)
    token = client.create_grant(
        KeyId=keys["symmetric"], GranteePrincipal=ALICE, Operations=["Decrypt"]
    )["GrantToken"]
    call = TOKEN_CALLS[operation]
    before = len(kms.audit_log)
    excinfo = raises(lambda: call(client, keys, [token, "token-0"]))
    assert error_of(excinfo) == INVALID_TOKEN
    [event] = kms.audit_log[before:]
    assert event["errorCode"] == "InvalidGrantTokenException"
    assert len(client.list_grants(KeyId=keys["symmetric"])["Grants"]) == 1
    call(client, keys, [token] * 10)  # the mock's own tokens are accepted


def test_a_well_formed_token_of_a_retired_grant_is_ignored(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    retired = give(admin, key, BOB, "Encrypt")
    admin.retire_grant(GrantToken=retired["GrantToken"])
    current = give(admin, key, ALICE, "Encrypt")
    alice = client_as(kms, ALICE)
    tokens = [retired["GrantToken"], current["GrantToken"]]
    alice.encrypt(KeyId=key["Arn"], Plaintext=b"x", GrantTokens=tokens)


# -- 8. key deletion removes the grants -----------------------------------------------------------


def test_deleting_a_key_ends_its_grantees_access(
    kms: MockKMS, admin: KMSClient, clock: FrozenClock
) -> None:
    key = admin_key(admin)
    blob = admin.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    give(admin, key, ALICE, "Decrypt", RetiringPrincipal=BOB)
    alice = client_as(kms, ALICE)
    alice.decrypt(CiphertextBlob=blob)
    kms.iam.attach(BOB, document(statement("Allow", "kms:ListRetirableGrants")))
    bob = client_as(kms, BOB)
    assert len(bob.list_retirable_grants(RetiringPrincipal=BOB)["Grants"]) == 1
    admin.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=7)
    as_deleted = error_of(raises(lambda: admin.decrypt(CiphertextBlob=blob)))
    assert error_of(raises(lambda: alice.decrypt(CiphertextBlob=blob))) == as_deleted
    assert as_deleted[0] == "AccessDeniedException"
    assert bob.list_retirable_grants(RetiringPrincipal=BOB)["Grants"] == []


# -- 9. DryRun with a grant-only caller -----------------------------------------------------------


def test_dry_run_answers_a_grant_only_caller_as_its_grant_says(
    kms: MockKMS, admin: KMSClient
) -> None:
    key = admin_key(admin)
    give(admin, key, CAROL, "Encrypt", "Decrypt", "CreateGrant")
    carol = client_as(kms, CAROL)
    dry_runs: list[Callable[[], object]] = [
        lambda: carol.encrypt(KeyId=key["Arn"], Plaintext=b"x", DryRun=True),
        lambda: carol.decrypt(
            CiphertextBlob=b"\x00" * 32,
            KeyId=key["Arn"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        ),
        lambda: carol.create_grant(
            KeyId=key["Arn"], GranteePrincipal=BOB, Operations=["Decrypt"], DryRun=True
        ),
    ]
    for dry_run in dry_runs:
        assert error_of(raises(dry_run)) == ("DryRunOperationException", DRY_RUN, 400)
    excinfo = raises(
        lambda: carol.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256", DryRun=True)
    )
    assert error_of(excinfo) == hidden(CAROL, "kms:GenerateDataKey")
    assert len(admin.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_dry_run_outside_the_constraint_is_denied(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(admin, key, ALICE, "Encrypt", Constraints={"EncryptionContextSubset": {"a": "1"}})
    alice = client_as(kms, ALICE)
    excinfo = raises(lambda: alice.encrypt(KeyId=key["Arn"], Plaintext=b"x", DryRun=True))
    assert error_of(excinfo) == no_resource_allow(ALICE, "kms:Encrypt", key["Arn"])
    excinfo = raises(
        lambda: alice.encrypt(
            KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"a": "1"}, DryRun=True
        )
    )
    assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)


# -- 10. the audit log ----------------------------------------------------------------------------


def test_grant_allowed_and_denied_calls_are_audited(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(admin, key, ALICE, "Encrypt")
    credentials = kms.principals.register(ALICE)
    alice = client_as(kms, ALICE)
    ENCRYPT.call(alice, key["Arn"], {})
    raises(lambda: alice.describe_key(KeyId=key["Arn"]))
    allowed, denied = kms.audit_log[-2:]
    assert allowed["eventName"] == "Encrypt"
    assert "errorCode" not in allowed
    assert allowed["userIdentity"] == {
        "type": "IAMUser",
        "principalId": allowed["userIdentity"]["principalId"],
        "arn": ALICE,
        "accountId": ACCOUNT,
        "accessKeyId": credentials["aws_access_key_id"],
        "userName": "Alice",
    }
    assert denied["eventName"] == "DescribeKey"
    assert denied["errorCode"] == "AccessDenied"
    assert denied["userIdentity"]["arn"] == ALICE
    assert denied["resources"][0]["ARN"] == key["Arn"]


def test_another_accounts_grantee_is_audited_as_its_account(kms: MockKMS, admin: KMSClient) -> None:
    key = admin_key(admin)
    give(admin, key, CAROL, "Encrypt")
    ENCRYPT.call(client_as(kms, CAROL), key["Arn"], {})
    identity = kms.audit_log[-1]["userIdentity"]
    assert identity["type"] == "AWSAccount"
    assert identity["accountId"] == OTHER
