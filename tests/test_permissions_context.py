"""The request context of a permission, unit by unit: which value each condition key takes.

Fast tests of ``kms_mock._permissions`` on a backend (no client): the context
is computed only when a condition asks, each permission of a call reads its own
request members (ReEncrypt's source and destination), and the defaults AWS
documents apply where a member is omitted.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from kms_mock import FrozenClock, _permissions
from kms_mock._authz import evaluate
from kms_mock._callers import parse_principal
from kms_mock._dispatch import Request
from kms_mock._errors import AccessDeniedException
from kms_mock._grants import Grant, KeyGrants
from kms_mock._keyfactory import new_key
from kms_mock._models import Alias, Key
from kms_mock._permissions import authorize, authorize_account
from kms_mock._store import Backend
from tests._helpers import ACCOUNT, REGION, START

ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
NOW = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


class Untouchable(Mapping[str, Any]):
    """Request members that fail the test when read."""

    def __getitem__(self, name: str) -> Any:
        raise AssertionError(f"the request's {name} was read")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the request was listed")

    def __len__(self) -> int:
        raise AssertionError("the request was measured")


@pytest.fixture
def backend() -> Backend:
    return Backend(clock=FrozenClock(START), default_region=REGION, account_id=ACCOUNT, seed=1)


def request(
    backend: Backend, operation: str, params: Mapping[str, Any], arn: str = ALICE
) -> Request:
    call = Request(
        backend=backend,
        operation=operation,
        region=REGION,
        account_id=ACCOUNT,
        now=NOW,
        request_id="request",
        event_id="event",
        principal=parse_principal(arn),
    )
    call.params = params  # type: ignore[assignment]  # any Mapping will do here
    return call


def key_with(
    backend: Backend, policy: dict[str, Any] | None = None, *, multi_region: bool = False
) -> Key:
    text = None if policy is None else json.dumps(policy)
    return new_key(
        backend,
        ACCOUNT,
        REGION,
        NOW,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        policy=text,
        multi_region=multi_region,
    )


def alice_if(condition: dict[str, Any]) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ALICE},
        "Action": "kms:*",
        "Resource": "*",
        "Condition": condition,
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def allowed(call: Request, key: Key, action: str | None = None) -> bool:
    try:
        authorize(call, key, action)
    except AccessDeniedException:
        return False
    return True


def test_the_default_policy_reads_nothing_of_the_request(backend: Backend) -> None:
    call = request(backend, "Encrypt", Untouchable(), arn=f"arn:aws:iam::{ACCOUNT}:root")
    authorize(call, key_with(backend))  # allowed, and the request never read


def test_re_encrypt_reads_the_source_and_destination_members(backend: Backend) -> None:
    key = key_with(backend, alice_if({"StringEquals": {"kms:EncryptionContext:side": "source"}}))
    params = {
        "SourceEncryptionContext": {"side": "source"},
        "DestinationEncryptionContext": {"side": "destination"},
    }
    call = request(backend, "ReEncrypt", params)
    assert allowed(call, key, "kms:ReEncryptFrom")
    assert not allowed(call, key, "kms:ReEncryptTo")


@pytest.mark.parametrize(
    ("operation", "condition", "params"),
    [
        ("Sign", {"StringEquals": {"kms:MessageType": "RAW"}}, {}),
        (
            "ScheduleKeyDeletion",
            {"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}},
            {},
        ),
        ("EnableKeyRotation", {"NumericEquals": {"kms:RotationPeriodInDays": "365"}}, {}),
        ("PutKeyPolicy", {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "false"}}, {}),
        ("Decrypt", {"StringEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}, {}),
        ("Encrypt", {"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}}, {}),
        ("Encrypt", {"Bool": {"kms:MultiRegion": "false"}}, {}),
        ("Encrypt", {"Null": {"kms:MultiRegionKeyType": "true"}}, {}),
        ("Encrypt", {"Bool": {"aws:SecureTransport": "true"}}, {}),
        ("Encrypt", {"StringEquals": {"kms:RequestAlias": "alias/app"}}, {"KeyId": "alias/app"}),
        ("CreateGrant", {"Bool": {"kms:GrantIsForAWSResource": "false"}}, {}),
        (
            "CreateGrant",
            {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]}},
            {"Operations": ["Decrypt"], "GranteePrincipal": ALICE},
        ),
        (
            "CreateGrant",
            {"StringEquals": {"kms:GrantConstraintType": "EncryptionContextSubset"}},
            {"Constraints": {"EncryptionContextSubset": {"a": "b"}}},
        ),
        (
            "UntagResource",
            {"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}},
            {"TagKeys": ["team"]},
        ),
    ],
)
def test_each_condition_key_takes_the_request_value_or_awss_default(
    backend: Backend, operation: str, condition: dict[str, Any], params: dict[str, Any]
) -> None:
    key = key_with(backend, alice_if(condition))
    key_id = params.get("KeyId")
    call = request(backend, operation, params)
    authorize(call, key, key_id=key_id)


def test_create_key_conditions_read_the_requested_key(backend: Backend) -> None:
    identity = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:CreateKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}},
            }
        ],
    }
    backend.identity_policies.attach(ALICE, identity)
    authorize_account(request(backend, "CreateKey", {}))
    with pytest.raises(AccessDeniedException):
        authorize_account(request(backend, "CreateKey", {"KeySpec": "HMAC_256"}))


def test_enforcement_off_asks_nothing(backend: Backend) -> None:
    backend.enforce_permissions = False
    key = key_with(backend, alice_if({"Bool": {"aws:SecureTransport": "false"}}))
    authorize(request(backend, "Encrypt", Untouchable()), key)
    authorize_account(request(backend, "ListKeys", Untouchable()))


@pytest.mark.parametrize(
    ("condition", "params", "key_id"),
    [
        (
            {"StringEquals": {"kms:RequestAlias": "alias/app"}},
            {},
            f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/app",
        ),
        ({"Null": {"kms:RequestAlias": "true"}}, {}, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/x"),
        ({"Null": {"kms:RequestAlias": "true"}}, {}, None),
        ({"Null": {"kms:NoSuchKey": "true"}}, {}, None),  # unknown keys are absent
        ({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app"}}, {}, None),
        (
            {"StringEquals": {"aws:RequestTag/Team": "a"}},
            {"Tags": [{"TagKey": "team", "TagValue": "a"}]},
            None,
        ),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
            {"Tags": [{"TagKey": "team", "TagValue": "a"}]},
            None,
        ),
        ({"Null": {"aws:ResourceTag/team": "true"}}, {}, None),
    ],
)
def test_aliases_tags_and_unknown_keys(
    backend: Backend, condition: dict[str, Any], params: dict[str, Any], key_id: str | None
) -> None:
    key = key_with(backend, alice_if(condition))
    store = backend.region_store(ACCOUNT, REGION)
    store.add_key(key)
    store.add_alias(Alias("alias/app", "arn", key.key_id, NOW, NOW))
    backend.keep(store)
    authorize(request(backend, "TagResource", params), key, key_id=key_id)


def test_create_grant_conditions_read_its_constraint(backend: Backend) -> None:
    key = key_with(backend, alice_if({"StringEquals": {"kms:EncryptionContext:tenant": "a"}}))
    for constraint in ("EncryptionContextSubset", "EncryptionContextEquals"):
        params = {"Constraints": {constraint: {"Tenant": "a"}}}
        authorize(request(backend, "CreateGrant", params), key)
    with pytest.raises(AccessDeniedException):
        authorize(request(backend, "CreateGrant", {}), key)


def test_create_key_conditions_read_the_requested_usage_and_region_type(backend: Backend) -> None:
    condition = {
        "StringEquals": {"kms:KeyUsage": "ENCRYPT_DECRYPT", "kms:MultiRegionKeyType": "PRIMARY"}
    }
    backend.identity_policies.attach(
        ALICE,
        {
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
            ]
        },
    )
    authorize_account(request(backend, "CreateKey", {"MultiRegion": True}))
    with pytest.raises(AccessDeniedException):
        authorize_account(request(backend, "CreateKey", {"KeySpec": "HMAC_256"}))


def test_a_multi_region_keys_type(backend: Backend) -> None:
    policy = alice_if({"StringEquals": {"kms:MultiRegionKeyType": "PRIMARY"}})
    primary = key_with(backend, policy, multi_region=True)
    authorize(request(backend, "Encrypt", {}), primary)


def test_the_grant_step_asks_for_the_session_and_its_role(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[tuple[str, ...], str]] = []

    def grants_allow(grants: Any, grantees: tuple[str, ...], operation: str, params: Any) -> bool:
        asked.append((grantees, operation))
        return True

    monkeypatch.setattr(_permissions, "grants_allow", grants_allow)
    key = key_with(backend)
    key.grants = KeyGrants()
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s1"
    authorize(request(backend, "ReEncrypt", {}, arn=session), key, "kms:ReEncryptFrom")
    authorize(request(backend, "ReEncrypt", {}, arn=session), key, "kms:ReEncryptFrom")
    # Never remembered: a grant may go at any time.
    role = f"arn:aws:iam::{ACCOUNT}:role/App"
    assert asked == [((session, role), "ReEncryptFrom")] * 2


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The actions ``_permissions`` evaluates, with nothing remembered from earlier tests."""
    evaluated: list[str] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        evaluated.append(args[1])
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(_permissions, "evaluate", counting)
    monkeypatch.setattr(_permissions, "_UNCONDITIONAL", {})
    return evaluated


def test_a_decision_no_grant_took_part_in_is_remembered_on_a_key_with_grants(
    backend: Backend, evaluations: list[str]
) -> None:
    key = key_with(backend)
    key.grants = KeyGrants()
    key.grants.add(
        Grant("g" * 64, key.arn, ALICE, frozenset({"Encrypt"}), f"arn:aws:iam::{ACCOUNT}:root", NOW)
    )
    root = f"arn:aws:iam::{ACCOUNT}:root"
    for _ in range(2):
        authorize(request(backend, "Encrypt", {}, arn=root), key)  # the key policy allows
    assert evaluations == ["kms:Encrypt"]


def test_a_denial_the_grant_step_took_part_in_is_not_remembered(
    backend: Backend, evaluations: list[str]
) -> None:
    key = key_with(backend)
    with pytest.raises(AccessDeniedException):
        authorize(request(backend, "Encrypt", {}), key)
    key.grants = KeyGrants()
    key.grants.add(
        Grant("g" * 64, key.arn, ALICE, frozenset({"Encrypt"}), f"arn:aws:iam::{ACCOUNT}:root", NOW)
    )
    authorize(request(backend, "Encrypt", {}), key)  # its new grant allows
    assert evaluations == ["kms:Encrypt"] * 2
