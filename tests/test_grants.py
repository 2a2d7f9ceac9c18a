"""Grants end to end through boto3: CreateGrant, ListGrants, ListRetirableGrants,
RetireGrant and RevokeGrant, their validation, key states, errors and audit records.

Who may use a grant (constraints, the CreateGrant child rule) is unit-tested
in ``test_grants_allow.py``; here a grant is made, listed, named and removed as
a user's test would, with distinct principals where the caller matters.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._operations import grants as grant_operations
from tests._helpers import (
    ACCOUNT,
    backend_of,
    client_as,
    error_of,
    new_client,
    new_key,
    raises,
    retirable_by_scan,
    retirable_index,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
OTHER_ACCOUNT = "111122223333"
OTHER_ROOT = f"arn:aws:iam::{OTHER_ACCOUNT}:root"


def grant(client: KMSClient, key_id: str, **kwargs: Any) -> dict[str, Any]:
    """CreateGrant for ALICE (Decrypt) unless told otherwise; GrantId and GrantToken."""
    kwargs.setdefault("GranteePrincipal", ALICE)
    kwargs.setdefault("Operations", ["Decrypt"])
    return dict(client.create_grant(KeyId=key_id, **kwargs))


def _statement(effect: str, action: str) -> str:
    return json.dumps({"Statement": {"Effect": effect, "Action": action, "Resource": "*"}})


# -- CreateGrant ----------------------------------------------------------------------------


def test_create_grant_answers_an_id_and_a_token(client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"])
    assert len(created["GrantId"]) == 64
    assert set(created["GrantId"]) <= set("0123456789abcdef")
    token = created["GrantToken"]
    # Opaque, but shaped like AWS's: base64url that starts as theirs do.
    assert token.startswith("AQpA")
    base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_grant_is_listed_as_grant_list_entry(client: KMSClient) -> None:
    key = new_key(client)
    created = grant(
        client,
        key["Arn"],
        Operations=["Encrypt", "Decrypt", "RetireGrant"],
        RetiringPrincipal=BOB,
        Name="app-grant",
        Constraints={"EncryptionContextSubset": {"Dept": "IT"}},
    )
    [entry] = client.list_grants(KeyId=key["KeyId"])["Grants"]
    assert entry == {
        "KeyId": key["Arn"],
        "GrantId": created["GrantId"],
        "Name": "app-grant",
        "CreationDate": entry["CreationDate"],
        "GranteePrincipal": ALICE,
        "RetiringPrincipal": BOB,
        "IssuingAccount": f"arn:aws:iam::{ACCOUNT}:root",
        "Operations": ["Decrypt", "Encrypt", "RetireGrant"],
        "Constraints": {"EncryptionContextSubset": {"Dept": "IT"}},
    }
    assert entry["CreationDate"].isoformat() == "2025-01-01T00:00:00+00:00"


def test_grant_without_options_lists_only_what_it_has(client: KMSClient) -> None:
    key = new_key(client)
    grant(client, key["KeyId"])
    [entry] = client.list_grants(KeyId=key["KeyId"])["Grants"]
    assert set(entry) == {
        "KeyId",
        "GrantId",
        "CreationDate",
        "GranteePrincipal",
        "IssuingAccount",
        "Operations",
    }


def test_same_name_and_parameters_give_the_same_grant_and_a_new_token(client: KMSClient) -> None:
    key = new_key(client)
    first = grant(client, key["KeyId"], Name="retry-safe", Operations=["Encrypt", "Decrypt"])
    again = grant(client, key["KeyId"], Name="retry-safe", Operations=["Decrypt", "Encrypt"])
    assert again["GrantId"] == first["GrantId"]
    assert again["GrantToken"] != first["GrantToken"]
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 1
    # Either token names the grant.
    client.retire_grant(GrantToken=first["GrantToken"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_same_name_with_other_parameters_is_another_grant(client: KMSClient) -> None:
    key = new_key(client)
    first = grant(client, key["KeyId"], Name="n")
    other = grant(client, key["KeyId"], Name="n", Operations=["Encrypt"])
    unnamed = [grant(client, key["KeyId"]) for _ in range(2)]
    ids = {first["GrantId"], other["GrantId"], *(g["GrantId"] for g in unnamed)}
    assert len(ids) == 4


def test_grant_tokens_are_accepted_at_once(client: KMSClient) -> None:
    key = new_key(client)
    token = grant(client, key["KeyId"], Operations=["CreateGrant", "Decrypt"])["GrantToken"]
    grant(client, key["KeyId"], GranteePrincipal=BOB, GrantTokens=[token] * 10)
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 2


@pytest.mark.parametrize("token", ["not-a-token", "AQpA", base64.b64encode(b"\x01" * 90).decode()])
def test_malformed_grant_token_is_invalid_grant_token(client: KMSClient, token: str) -> None:
    key = new_key(client)
    code, message, status = error_of(
        raises(lambda: grant(client, key["KeyId"], GrantTokens=[token]))
    )
    assert (code, message, status) == ("InvalidGrantTokenException", "Invalid grant token.", 400)
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_a_tampered_token_is_invalid(client: KMSClient) -> None:
    key = new_key(client)
    token = grant(client, key["KeyId"])["GrantToken"]
    tampered = token[:10] + ("B" if token[10] != "B" else "C") + token[11:]
    code, _, _ = error_of(raises(lambda: client.retire_grant(GrantToken=tampered)))
    assert code == "InvalidGrantTokenException"
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_eleven_grant_tokens_are_a_validation_error(client: KMSClient) -> None:
    key = new_key(client)
    code, message, _ = error_of(raises(lambda: grant(client, key["KeyId"], GrantTokens=["t"] * 11)))
    assert code == "ValidationException"
    assert message.endswith(
        "at 'grantTokens' failed to satisfy constraint: "
        "Member must have length less than or equal to 10"
    )


@pytest.mark.parametrize(
    ("create_key", "operations"),
    [
        ({}, ["Sign"]),
        ({}, ["GetPublicKey"]),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, ["GenerateDataKey"]),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}, ["Decrypt", "Verify"]),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, ["Encrypt"]),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, ["Sign"]),
    ],
)
def test_operations_the_key_cannot_do_are_refused(
    client: KMSClient, create_key: dict[str, str], operations: list[str]
) -> None:
    key = new_key(client, **create_key)
    code, message, status = error_of(
        raises(lambda: grant(client, key["KeyId"], Operations=operations))
    )
    invalid = [op for op in operations if op not in {"Verify"}]
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        f"Grant operations {', '.join(invalid)} are not valid for KMS key {key['Arn']}, "
        f"whose KeySpec is {key['KeySpec']} and KeyUsage {key['KeyUsage']}."
    )


@pytest.mark.parametrize(
    ("create_key", "operations"),
    [
        ({}, ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"]),
        ({}, ["ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyPair", "DescribeKey"]),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, ["Encrypt", "GetPublicKey"]),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}, ["Sign", "Verify"]),
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, ["GenerateMac", "VerifyMac"]),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, ["DeriveSharedSecret"]),
    ],
)
def test_operations_the_key_can_do_are_granted(
    client: KMSClient, create_key: dict[str, str], operations: list[str]
) -> None:
    key = new_key(client, **create_key)
    grant(client, key["KeyId"], Operations=[*operations, "CreateGrant", "RetireGrant"])
    [entry] = client.list_grants(KeyId=key["KeyId"])["Grants"]
    assert set(entry["Operations"]) == {*operations, "CreateGrant", "RetireGrant"}


def test_constraints_are_for_symmetric_encryption_keys_only(client: KMSClient) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    excinfo = raises(
        lambda: grant(
            client,
            key["KeyId"],
            Operations=["Encrypt"],
            Constraints={"EncryptionContextEquals": {"a": "b"}},
        )
    )
    assert error_of(excinfo) == (
        "ValidationException",
        "EncryptionContext is supported only when creating a grant for a symmetric "
        "encryption KMS key.",
        400,
    )


def test_a_constraint_holds_at_most_eight_pairs(client: KMSClient) -> None:
    key = new_key(client)
    pairs = {f"k{i}": "v" for i in range(9)}
    excinfo = raises(
        lambda: grant(client, key["KeyId"], Constraints={"EncryptionContextSubset": pairs})
    )
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert message.endswith(
        "at 'constraints.encryptionContextSubset' failed to satisfy constraint: "
        "Member must have length less than or equal to 8"
    )
    eight = dict(list(pairs.items())[:8])
    grant(client, key["KeyId"], Constraints={"EncryptionContextSubset": eight})


def test_a_constraint_value_holds_at_most_384_characters(client: KMSClient) -> None:
    key = new_key(client)
    too_long = {"EncryptionContextEquals": {"k": "v" * 385}}
    excinfo = raises(lambda: grant(client, key["KeyId"], Constraints=too_long))
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert message.endswith(
        "at 'constraints.encryptionContextEquals' failed to satisfy constraint: "
        "Map value must have length less than or equal to 384"
    )


def test_both_constraints_at_once_are_refused(client: KMSClient) -> None:
    key = new_key(client)
    excinfo = raises(
        lambda: grant(
            client,
            key["KeyId"],
            Constraints={
                "EncryptionContextSubset": {"a": "1"},
                "EncryptionContextEquals": {"a": "1"},
            },
        )
    )
    assert error_of(excinfo) == (
        "ValidationException",
        "A grant constraint can have EncryptionContextEquals or EncryptionContextSubset, not both.",
        400,
    )


@pytest.mark.parametrize(
    ("principal", "member"),
    [("not a principal", "granteePrincipal"), ("bad principal!", "retiringPrincipal")],
)
def test_principal_patterns_are_checked(client: KMSClient, principal: str, member: str) -> None:
    key = new_key(client)
    kwargs = {"GranteePrincipal": principal} if member == "granteePrincipal" else {}
    if member == "retiringPrincipal":
        kwargs["RetiringPrincipal"] = principal
    code, message, _ = error_of(raises(lambda: grant(client, key["KeyId"], **kwargs)))
    assert code == "ValidationException"
    assert message == (
        f"1 validation error detected: Value '{principal}' at '{member}' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$"
    )


def test_create_grant_key_states(client: KMSClient, kms: MockKMS) -> None:
    key = new_key(client)
    client.disable_key(KeyId=key["KeyId"])
    assert error_of(raises(lambda: grant(client, key["KeyId"]))) == (
        "DisabledException",
        f"{key['Arn']} is disabled.",
        400,
    )
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert error_of(raises(lambda: grant(client, key["KeyId"]))) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )
    external = new_key(client, Origin="EXTERNAL")
    assert error_of(raises(lambda: grant(client, external["KeyId"]))) == (
        "KMSInvalidStateException",
        f"{external['Arn']} is pending import.",
        400,
    )


def test_missing_key_is_not_found(client: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    assert error_of(raises(lambda: grant(client, missing))) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist",
        400,
    )
    assert error_of(raises(lambda: grant(client, "alias/anything")))[:2] == (
        "NotFoundException",
        "Invalid keyId 'alias/anything'",
    )


def test_dry_run_checks_everything_and_creates_nothing(client: KMSClient) -> None:
    key = new_key(client)
    assert error_of(raises(lambda: grant(client, key["KeyId"], DryRun=True))) == (
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
        400,
    )
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []
    client.disable_key(KeyId=key["KeyId"])
    code, _, _ = error_of(raises(lambda: grant(client, key["KeyId"], DryRun=True)))
    assert code == "DisabledException"


def test_grants_per_key_quota(client: KMSClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grant_operations, "GRANTS_PER_KEY", 3)
    key = new_key(client)
    named = grant(client, key["KeyId"], Name="kept")
    for _ in range(2):
        grant(client, key["KeyId"])
    assert error_of(raises(lambda: grant(client, key["KeyId"]))) == (
        "LimitExceededException",
        "The grant limit has been reached for the given keyId. No more grants can be "
        f"created for this key: {key['Arn']}",
        400,
    )
    # Retrying a named grant makes none, so the quota does not stop it.
    assert grant(client, key["KeyId"], Name="kept")["GrantId"] == named["GrantId"]
    other = new_key(client)
    grant(client, other["KeyId"])


# -- ListGrants -----------------------------------------------------------------------------


def test_list_grants_pages_in_creation_order(client: KMSClient) -> None:
    key = new_key(client)
    ids = [grant(client, key["KeyId"])["GrantId"] for _ in range(7)]
    page = client.list_grants(KeyId=key["KeyId"], Limit=3)
    truncated = [page["Truncated"]]
    seen = [entry["GrantId"] for entry in page["Grants"]]
    # Revoking one already listed skips nothing.
    client.revoke_grant(KeyId=key["KeyId"], GrantId=ids[0])
    while marker := page.get("NextMarker"):
        page = client.list_grants(KeyId=key["KeyId"], Limit=3, Marker=marker)
        seen += [entry["GrantId"] for entry in page["Grants"]]
        truncated.append(page["Truncated"])
    assert seen == ids
    assert truncated == [True, True, False]


def test_list_grants_default_and_largest_page(client: KMSClient) -> None:
    key = new_key(client)
    for _ in range(101):
        grant(client, key["KeyId"])
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 50
    assert len(client.list_grants(KeyId=key["KeyId"], Limit=1000)["Grants"]) == 100


def test_list_grants_marker_of_another_operation_is_invalid(client: KMSClient) -> None:
    key = new_key(client)
    for _ in range(2):
        client.create_alias(AliasName=f"alias/a{_}", TargetKeyId=key["KeyId"])
    marker = client.list_aliases(Limit=1)["NextMarker"]
    assert error_of(raises(lambda: client.list_grants(KeyId=key["KeyId"], Marker=marker))) == (
        "InvalidMarkerException",
        "Invalid marker",
        400,
    )


def test_list_grants_filters(client: KMSClient) -> None:
    key = new_key(client)
    alice = grant(client, key["KeyId"])["GrantId"]
    bob = [grant(client, key["KeyId"], GranteePrincipal=BOB)["GrantId"] for _ in range(2)]
    by_bob = client.list_grants(KeyId=key["KeyId"], GranteePrincipal=BOB)["Grants"]
    assert [entry["GrantId"] for entry in by_bob] == bob
    by_id = client.list_grants(KeyId=key["KeyId"], GrantId=alice)["Grants"]
    assert [entry["GrantId"] for entry in by_id] == [alice]
    both = client.list_grants(KeyId=key["KeyId"], GrantId=alice, GranteePrincipal=BOB)
    assert both["Grants"] == []
    assert client.list_grants(KeyId=key["KeyId"], GranteePrincipal=ROLE)["Grants"] == []


def test_list_grants_unknown_grant_id(client: KMSClient) -> None:
    key = new_key(client)
    assert error_of(raises(lambda: client.list_grants(KeyId=key["KeyId"], GrantId="0" * 64))) == (
        "InvalidGrantIdException",
        f"Invalid grantId '{'0' * 64}'",
        400,
    )


def test_list_grants_works_in_every_key_state(client: KMSClient) -> None:
    key = new_key(client)
    grant(client, key["KeyId"])
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert len(client.list_grants(KeyId=key["Arn"])["Grants"]) == 1


# -- ListRetirableGrants --------------------------------------------------------------------


def test_list_retirable_grants_across_keys_and_accounts(kms: MockKMS, client: KMSClient) -> None:
    ours = [new_key(client) for _ in range(2)]
    theirs_client = client_as(kms, OTHER_ROOT)
    theirs = new_key(theirs_client)
    expected = [
        grant(client, ours[0]["KeyId"], RetiringPrincipal=BOB)["GrantId"],
        grant(client, ours[1]["KeyId"], RetiringPrincipal=BOB)["GrantId"],
        grant(theirs_client, theirs["KeyId"], RetiringPrincipal=BOB)["GrantId"],
    ]
    grant(client, ours[0]["KeyId"], RetiringPrincipal=ALICE)
    grant(client, ours[0]["KeyId"])
    listed = client.list_retirable_grants(RetiringPrincipal=BOB)["Grants"]
    assert sorted(entry["GrantId"] for entry in listed) == sorted(expected)
    issuers = {entry["KeyId"]: entry["IssuingAccount"] for entry in listed}
    assert issuers[theirs["Arn"]] == OTHER_ROOT
    # Paged: every grant once.
    paged: list[str] = []
    page = client.list_retirable_grants(RetiringPrincipal=BOB, Limit=2)
    paged += [entry["GrantId"] for entry in page["Grants"]]
    assert page["Truncated"] is True
    page = client.list_retirable_grants(RetiringPrincipal=BOB, Marker=page["NextMarker"])
    paged += [entry["GrantId"] for entry in page["Grants"]]
    assert sorted(paged) == sorted(expected)
    assert page["Truncated"] is False


def test_list_retirable_grants_is_regional(client: KMSClient, europe: KMSClient) -> None:
    key = new_key(client)
    grant(client, key["KeyId"], RetiringPrincipal=BOB)
    assert europe.list_retirable_grants(RetiringPrincipal=BOB)["Grants"] == []
    assert client.list_retirable_grants(RetiringPrincipal=ALICE)["Grants"] == []


# -- RetireGrant and RevokeGrant ------------------------------------------------------------


def test_retire_by_token(client: KMSClient) -> None:
    key = new_key(client)
    kept = grant(client, key["KeyId"])
    retired = grant(client, key["KeyId"])
    client.retire_grant(GrantToken=retired["GrantToken"])
    assert [e["GrantId"] for e in client.list_grants(KeyId=key["KeyId"])["Grants"]] == [
        kept["GrantId"]
    ]
    assert error_of(raises(lambda: client.retire_grant(GrantToken=retired["GrantToken"]))) == (
        "InvalidGrantIdException",
        f"Invalid grantId '{retired['GrantId']}'",
        400,
    )


def test_retire_by_key_arn_and_grant_id(client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"])
    client.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []
    assert error_of(
        raises(lambda: client.retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"]))
    ) == ("InvalidGrantIdException", f"Invalid grantId '{created['GrantId']}'", 400)


@pytest.mark.parametrize("given", [(), ("KeyId",), ("GrantId",)])
def test_retire_needs_a_token_or_a_key_and_grant_id(
    client: KMSClient, given: tuple[str, ...]
) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"])
    members = {"KeyId": key["Arn"], "GrantId": created["GrantId"]}
    kwargs = {name: members[name] for name in given}
    assert error_of(raises(lambda: client.retire_grant(**kwargs))) == (
        "ValidationException",
        "Either GrantToken, or both KeyId and GrantId, must be specified.",
        400,
    )
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_retire_with_dry_run_keeps_the_grant(client: KMSClient) -> None:
    key = new_key(client)
    token = grant(client, key["KeyId"])["GrantToken"]
    code, _, _ = error_of(raises(lambda: client.retire_grant(GrantToken=token, DryRun=True)))
    assert code == "DryRunOperationException"
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_revoke(client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"])
    code, _, _ = error_of(
        raises(
            lambda: client.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"], DryRun=True)
        )
    )
    assert code == "DryRunOperationException"
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 1
    client.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []
    assert error_of(
        raises(lambda: client.revoke_grant(KeyId=key["KeyId"], GrantId=created["GrantId"]))
    ) == ("InvalidGrantIdException", f"Invalid grantId '{created['GrantId']}'", 400)


def test_a_grant_id_names_a_grant_of_its_own_key_only(client: KMSClient) -> None:
    key, other = new_key(client), new_key(client)
    created = grant(client, key["KeyId"])
    code, _, _ = error_of(
        raises(lambda: client.revoke_grant(KeyId=other["KeyId"], GrantId=created["GrantId"]))
    )
    assert code == "InvalidGrantIdException"
    assert len(client.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


# -- who may retire ---------------------------------------------------------------------------


def test_retiring_principal_may_retire(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"], RetiringPrincipal=BOB)
    client_as(kms, BOB).retire_grant(GrantToken=created["GrantToken"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_retiring_role_covers_its_sessions(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"], RetiringPrincipal=ROLE)
    client_as(kms, ROLE).retire_grant(KeyId=key["Arn"], GrantId=created["GrantId"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_grantee_may_retire_only_with_retire_grant(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    without = grant(client, key["KeyId"])
    alice = client_as(kms, ALICE)
    excinfo = raises(lambda: alice.retire_grant(GrantToken=without["GrantToken"]))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {ALICE} is not authorized to perform: kms:RetireGrant on resource: "
        f"{key['Arn']} because no identity-based policy allows the kms:RetireGrant action",
        400,
    )
    with_retire = grant(client, key["KeyId"], Operations=["Decrypt", "RetireGrant"])
    alice.retire_grant(GrantToken=with_retire["GrantToken"])
    assert [e["GrantId"] for e in client.list_grants(KeyId=key["KeyId"])["Grants"]] == [
        without["GrantId"]
    ]
    denied = [event for event in kms.audit_log if "errorCode" in event]
    assert [(event["eventName"], event["errorCode"]) for event in denied] == [
        ("RetireGrant", "AccessDenied")
    ]


def test_issuing_account_retires_through_iam(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"])
    bob = client_as(kms, BOB)
    code, _, _ = error_of(raises(lambda: bob.retire_grant(GrantToken=created["GrantToken"])))
    assert code == "AccessDeniedException"
    kms.iam.attach(BOB, _statement("Allow", "kms:RetireGrant"))
    bob.retire_grant(GrantToken=created["GrantToken"])
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_an_iam_deny_stops_even_the_retiring_principal(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"], RetiringPrincipal=BOB)
    kms.iam.attach(BOB, _statement("Deny", "kms:RetireGrant"))
    excinfo = raises(lambda: client_as(kms, BOB).retire_grant(GrantToken=created["GrantToken"]))
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {BOB} is not authorized to perform: kms:RetireGrant on resource: "
        f"{key['Arn']} with an explicit deny in an identity-based policy",
        400,
    )


def test_root_of_the_issuing_account_may_retire(kms: MockKMS, client: KMSClient) -> None:
    theirs = client_as(kms, OTHER_ROOT)
    key = new_key(client)
    token = grant(client, key["KeyId"], GranteePrincipal=OTHER_ROOT)["GrantToken"]
    code, _, _ = error_of(raises(lambda: theirs.retire_grant(GrantToken=token)))
    assert code == "AccessDeniedException"
    client.retire_grant(GrantToken=token)


def test_without_enforcement_anyone_may_retire(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    token = grant(client, key["KeyId"])["GrantToken"]
    backend_of(kms).enforce_permissions = False
    client_as(kms, BOB).retire_grant(GrantToken=token)
    assert client.list_grants(KeyId=key["KeyId"])["Grants"] == []


# -- deletion, Regions, audit -----------------------------------------------------------------


def test_deleting_a_key_removes_its_grants(client: KMSClient, clock: FrozenClock) -> None:
    key = new_key(client)
    token = grant(client, key["KeyId"], RetiringPrincipal=BOB)["GrantToken"]
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert len(client.list_retirable_grants(RetiringPrincipal=BOB)["Grants"]) == 1
    clock.advance(days=7)
    assert client.list_retirable_grants(RetiringPrincipal=BOB)["Grants"] == []
    assert error_of(raises(lambda: client.retire_grant(GrantToken=token))) == (
        "NotFoundException",
        f"Key '{key['Arn']}' does not exist",
        400,
    )


def test_grants_are_audited_without_tokens(kms: MockKMS, client: KMSClient) -> None:
    key = new_key(client)
    created = grant(client, key["KeyId"], Name="audited")
    client.list_grants(KeyId=key["KeyId"])
    client.retire_grant(GrantToken=created["GrantToken"])
    create, listing, retire = kms.audit_log[-3:]
    assert create["eventName"] == "CreateGrant"
    assert create["requestParameters"] == {
        "keyId": key["KeyId"],
        "granteePrincipal": ALICE,
        "operations": ["Decrypt"],
        "name": "audited",
    }
    assert create["responseElements"] == {"grantId": created["GrantId"], "keyId": key["Arn"]}
    assert create["resources"][0]["ARN"] == key["Arn"]
    assert listing["readOnly"] is True
    assert retire["requestParameters"] == {}  # the token is all it had
    assert retire["resources"][0]["ARN"] == key["Arn"]
    assert created["GrantToken"] not in str(kms.audit_log)


# -- the Region's index of retirable grants ---------------------------------------------------


def _retirable_ids(client: KMSClient, principal: str) -> list[str]:
    """The grant ids ListRetirableGrants gives ``principal``, in order, one a page."""
    paginator = client.get_paginator("list_retirable_grants")
    pages = paginator.paginate(RetiringPrincipal=principal, PaginationConfig={"PageSize": 1})
    return [entry["GrantId"] for page in pages for entry in page["Grants"]]


def test_the_retirable_index_follows_create_retire_and_revoke(
    kms: MockKMS, client: KMSClient
) -> None:
    theirs = client_as(kms, OTHER_ROOT)
    keys = [new_key(client)["KeyId"] for _ in range(2)]
    their_key = new_key(theirs)["KeyId"]
    by_bob = [
        grant(client, keys[0], RetiringPrincipal=BOB),
        grant(client, keys[1], RetiringPrincipal=BOB, Name="named"),
        grant(theirs, their_key, RetiringPrincipal=BOB),
        grant(client, keys[0], RetiringPrincipal=BOB),
    ]
    by_alice = grant(client, keys[1], RetiringPrincipal=ALICE)
    grant(client, keys[0])  # no retiring principal: in no list
    assert retirable_index(kms) == retirable_by_scan(kms)
    assert sorted(retirable_index(kms)) == [("us-east-1", ALICE), ("us-east-1", BOB)]
    ids = _retirable_ids(client, BOB)
    assert sorted(ids) == sorted(made["GrantId"] for made in by_bob)
    assert retirable_index(kms)[("us-east-1", BOB)] == ids
    # Retried by name: the same grant, indexed once.
    again = grant(client, keys[1], RetiringPrincipal=BOB, Name="named")
    assert again["GrantId"] == by_bob[1]["GrantId"]
    assert retirable_index(kms)[("us-east-1", BOB)] == ids
    client_as(kms, BOB).retire_grant(GrantToken=by_bob[0]["GrantToken"])
    client.retire_grant(KeyId=keys[1], GrantId=by_alice["GrantId"])
    theirs.revoke_grant(KeyId=their_key, GrantId=by_bob[2]["GrantId"])
    assert retirable_index(kms) == retirable_by_scan(kms)
    left = [by_bob[1]["GrantId"], by_bob[3]["GrantId"]]
    assert sorted(_retirable_ids(client, BOB)) == sorted(left)
    assert _retirable_ids(client, ALICE) == []
    assert sorted(retirable_index(kms)) == [("us-east-1", BOB)]


def test_failed_grant_calls_leave_the_retirable_index_as_it_was(
    kms: MockKMS, client: KMSClient
) -> None:
    key = new_key(client)["KeyId"]
    kept = grant(client, key, RetiringPrincipal=BOB)
    before = retirable_index(kms)
    code, _, _ = error_of(raises(lambda: grant(client, key, RetiringPrincipal=BOB, DryRun=True)))
    assert code == "DryRunOperationException"
    code, _, _ = error_of(
        raises(lambda: grant(client, key, RetiringPrincipal=BOB, Operations=["Sign"]))
    )
    assert code == "ValidationException"
    code, _, _ = error_of(
        raises(lambda: client.retire_grant(GrantToken=kept["GrantToken"], DryRun=True))
    )
    assert code == "DryRunOperationException"
    code, _, _ = error_of(
        raises(lambda: client_as(kms, ALICE).retire_grant(GrantToken=kept["GrantToken"]))
    )
    assert code == "AccessDeniedException"
    code, _, _ = error_of(
        raises(lambda: client.revoke_grant(KeyId=key, GrantId=kept["GrantId"], DryRun=True))
    )
    assert code == "DryRunOperationException"
    assert retirable_index(kms) == before == {("us-east-1", BOB): [kept["GrantId"]]}


def test_the_retirable_index_forgets_a_deleted_keys_grants(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    doomed, kept = new_key(client)["KeyId"], new_key(client)["KeyId"]
    for _ in range(3):
        grant(client, doomed, RetiringPrincipal=BOB)
        grant(client, doomed, RetiringPrincipal=ALICE)
    survivor = grant(client, kept, RetiringPrincipal=BOB)["GrantId"]
    client.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    assert len(_retirable_ids(client, BOB)) == 4  # pending deletion: still there
    clock.advance(days=7)
    assert retirable_index(kms) == retirable_by_scan(kms) == {("us-east-1", BOB): [survivor]}
    assert _retirable_ids(client, BOB) == [survivor]
    assert _retirable_ids(client, ALICE) == []


def test_the_retirable_index_keeps_each_regions_multi_region_keys_apart(
    kms: MockKMS, client: KMSClient, europe: KMSClient, clock: FrozenClock
) -> None:
    primary = client.create_key(MultiRegion=True)["KeyMetadata"]
    on_primary = grant(client, primary["KeyId"], RetiringPrincipal=BOB)["GrantId"]
    replica = client.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    replica_arn = replica["ReplicaKeyMetadata"]["Arn"]
    # A replica's grants are its own (AWS shares no grant between related keys).
    assert _retirable_ids(europe, BOB) == []
    on_replica = grant(europe, replica_arn, RetiringPrincipal=BOB)["GrantId"]
    assert _retirable_ids(client, BOB) == [on_primary]
    assert _retirable_ids(europe, BOB) == [on_replica]
    assert retirable_index(kms) == retirable_by_scan(kms)
    europe.schedule_key_deletion(KeyId=replica_arn, PendingWindowInDays=7)
    clock.advance(days=7)
    assert retirable_index(kms) == retirable_by_scan(kms) == {("us-east-1", BOB): [on_primary]}
    assert _retirable_ids(europe, BOB) == []


def test_a_loaded_state_file_has_the_retirable_index_of_its_grants(tmp_path: Path) -> None:
    path = tmp_path / "kms-state.db"
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z"), seed=3, state=path) as kms:
        client = new_client()
        theirs = client_as(kms, OTHER_ROOT)
        keys = [new_key(client)["KeyId"] for _ in range(3)] + [new_key(theirs)["KeyId"]]
        for key in keys[:3]:
            for _ in range(2):
                grant(client, key, RetiringPrincipal=BOB)
        grant(theirs, keys[3], RetiringPrincipal=BOB)
        retired = grant(client, keys[0], RetiringPrincipal=ALICE)
        grant(client, keys[1], RetiringPrincipal=ALICE)
        client.retire_grant(GrantToken=retired["GrantToken"])
        saved = {principal: _retirable_ids(client, principal) for principal in (ALICE, BOB)}
        saved_index = retirable_index(kms)
    assert len(saved[BOB]) == 7
    with mock_kms(clock=FrozenClock("2025-01-01T00:00:00Z"), seed=3, state=path) as kms:
        assert retirable_index(kms) == retirable_by_scan(kms) == saved_index
        client = new_client()
        assert {principal: _retirable_ids(client, principal) for principal in saved} == saved
        # Kept exact from there on.
        client.revoke_grant(KeyId=keys[1], GrantId=saved[ALICE][0])
        assert retirable_index(kms) == retirable_by_scan(kms)
        assert _retirable_ids(client, ALICE) == []
