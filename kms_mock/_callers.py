"""Who makes a call: principals, the credentials a test registers for them, and the
blocks (``as_principal``, ``via_service``) that set the caller of a thread or task.

A call's principal comes from its client's credentials when a test registered
them, else from the innermost ``as_principal`` block of the calling thread or
asyncio task (context variables, as ``_active`` keeps activations), else it is
the account root of the mock. The principal's account is the account whose
keys and aliases the call's unqualified identifiers name.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from ._arns import root_principal_arn
from ._authz import compile_policy
from ._authz.elements import as_list
from ._errors import MalformedPolicyDocumentException, UsageError

ROOT: Final = "Root"
IAM_USER: Final = "IAMUser"
ASSUMED_ROLE: Final = "AssumedRole"

# The role a role ARN stands for calls through a session of that role: AWS never
# sees a call made by a role itself (CloudTrail names the session).
ROLE_SESSION_NAME: Final = "kms-mock"

# IAM's name rules ("IAM object quotas" in the IAM User Guide): user and role names
# of up to 64 of [\w+=,.@-], under a path of /-separated segments; session names
# 2..64 of the same set.
_PARTITION = r"(?P<partition>aws(?:-[a-z]+)*)"
_ACCOUNT = r"(?P<account>\d{12})"
_NAME = r"[\w+=,.@-]{1,64}"
_PATH = r"(?:[\x21-\x7e]+/)?"
_ROOT_ARN = re.compile(rf"arn:{_PARTITION}:iam::{_ACCOUNT}:root", re.ASCII)
_USER_OR_ROLE_ARN = re.compile(
    rf"arn:{_PARTITION}:iam::{_ACCOUNT}:(?P<kind>user|role)/{_PATH}(?P<name>{_NAME})", re.ASCII
)
_SESSION_ARN = re.compile(
    rf"arn:{_PARTITION}:sts::{_ACCOUNT}:assumed-role/(?P<role>{_NAME})/(?P<session>[\w+=,.@-]{{2,64}})",
    re.ASCII,
)
# Access key ids: "AccessKeyIdType" in IAM's API (16..128 of \w).
_ACCESS_KEY_ID = re.compile(r"\w{16,128}", re.ASCII)
_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*", re.ASCII)

_ACCEPTED_FORMS = (
    "arn:aws:iam::<account-id>:root, arn:aws:iam::<account-id>:user/<name>, "
    "arn:aws:iam::<account-id>:role/<name>, or "
    "arn:aws:sts::<account-id>:assumed-role/<role-name>/<session-name> "
    "(a 12-digit account id; IAM paths allowed in user and role ARNs)"
)


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller as AWS sees it: its ARN, account and CloudTrail identity type.

    ``role_arn`` is the role of an assumed-role session (policies naming the role
    apply to its sessions); ``name`` is the user name or the session name.
    """

    arn: str
    account_id: str
    kind: str  # ROOT, IAM_USER or ASSUMED_ROLE: CloudTrail's userIdentity.type
    principal_id: str
    name: str = ""
    role_arn: str | None = None
    role_principal_id: str | None = None

    @property
    def role_name(self) -> str | None:
        """The name of the session's role (None unless an assumed-role session)."""
        return None if self.role_arn is None else self.role_arn.rsplit("/", 1)[1]


def _unique_id(prefix: str, arn: str) -> str:
    # IAM's unique ids are a prefix and 17 uppercase letters or digits; derived from
    # the ARN they stay the same from run to run (tests may compare them).
    digest = hashlib.sha256(arn.encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:17]


@functools.lru_cache(maxsize=256)
def root_principal(region: str, account_id: str) -> Principal:
    """The account root, in the partition of ``region``: the default caller (made once)."""
    return Principal(root_principal_arn(region, account_id), account_id, ROOT, account_id)


def _session(partition: str, account: str, role_arn: str, role: str, session: str) -> Principal:
    role_id = _unique_id("AROA", role_arn)
    return Principal(
        arn=f"arn:{partition}:sts::{account}:assumed-role/{role}/{session}",
        account_id=account,
        kind=ASSUMED_ROLE,
        principal_id=f"{role_id}:{session}",
        name=session,
        role_arn=role_arn,
        role_principal_id=role_id,
    )


def parse_principal(arn: object) -> Principal:
    """The principal ``arn`` names; a role ARN stands for its session ``kms-mock``.

    Raises UsageError, naming the accepted forms, for anything else.
    """
    if isinstance(arn, str):
        if match := _ROOT_ARN.fullmatch(arn):
            account = match["account"]
            return Principal(arn, account, ROOT, account)
        if match := _USER_OR_ROLE_ARN.fullmatch(arn):
            partition, account, name = match["partition"], match["account"], match["name"]
            if match["kind"] == "user":
                return Principal(arn, account, IAM_USER, _unique_id("AIDA", arn), name)
            return _session(partition, account, arn, name, ROLE_SESSION_NAME)
        if match := _SESSION_ARN.fullmatch(arn):
            partition, account, role = match["partition"], match["account"], match["role"]
            role_arn = f"arn:{partition}:iam::{account}:role/{role}"
            return _session(partition, account, role_arn, role, match["session"])
    raise UsageError(f"{arn!r} is not a principal ARN kms_mock can call as: use {_ACCEPTED_FORMS}.")


class Credentials(TypedDict):
    """Keyword arguments for ``boto3.client("kms", **credentials)`` (or ``boto3.Session``)."""

    aws_access_key_id: str
    aws_secret_access_key: str
    aws_session_token: str | None


class Principals:
    """The principals a test registered, by the access key id of their credentials.

    Configuration of a mock, kept across its activations: each decorated call (or
    test) starts with a copy of what was registered before it.
    """

    def __init__(self) -> None:
        self._by_access_key: dict[str, Principal] = {}

    def copy(self) -> Principals:
        """A registry with the same registrations, changed independently from now on."""
        copied = Principals()
        copied._by_access_key = dict(self._by_access_key)
        return copied

    def register(self, arn: str, access_key_id: str | None = None) -> Credentials:
        """Credentials that make a KMS client call as ``arn``.

        ``arn`` is an account root, IAM user, IAM role or assumed-role session ARN
        in any 12-digit account (a role calls through its session ``kms-mock``).
        Without ``access_key_id``, one is derived from the ARN (``AKIA...`` for
        roots and users, ``ASIA...`` with a session token for sessions), so
        registering an ARN again gives the same credentials. The secret is never
        checked: kms_mock answers requests unsigned.
        """
        principal = parse_principal(arn)
        temporary = principal.kind == ASSUMED_ROLE
        if access_key_id is None:
            access_key_id = _unique_id("ASIA" if temporary else "AKIA", principal.arn)[:20]
        elif not isinstance(access_key_id, str) or not _ACCESS_KEY_ID.fullmatch(access_key_id):
            raise UsageError(
                f"access_key_id={access_key_id!r} is not an access key id: use 16 to 128 "
                "letters, digits or underscores (such as AKIAIOSFODNN7EXAMPLE), or leave it "
                "out to have one made."
            )
        held = self._by_access_key.get(access_key_id)
        if held is not None and held.arn != principal.arn:
            raise UsageError(
                f"access key id {access_key_id!r} is registered for {held.arn} already: "
                f"give {principal.arn} another one, or leave access_key_id out."
            )
        self._by_access_key[access_key_id] = principal
        return Credentials(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=f"kms-mock-secret-{access_key_id}",
            aws_session_token=f"kms-mock-session-{access_key_id}" if temporary else None,
        )

    def registrations(self) -> dict[str, str]:
        """Every registration: access key id -> principal ARN, in registering order."""
        return {access_key: principal.arn for access_key, principal in self._by_access_key.items()}

    def get(self, access_key_id: str | None) -> Principal | None:
        """The principal registered for ``access_key_id``, if any."""
        return None if access_key_id is None else self._by_access_key.get(access_key_id)


# The innermost ``as_principal`` / ``via_service`` block of this thread or task.
_acting: ContextVar[Principal | None] = ContextVar("kms_mock_principal", default=None)
_via_service: ContextVar[str | None] = ContextVar("kms_mock_via_service", default=None)


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Calls of this thread or task without registered credentials are made by ``principal``."""
    token = _acting.set(principal)
    try:
        yield
    finally:
        _acting.reset(token)


def acting_principal() -> Principal | None:
    """The principal of the innermost ``acting_as`` block here, if any."""
    return _acting.get()


def check_service_name(service: object) -> str:
    """``service`` if it names an AWS service as kms:ViaService does (``s3``, ``ec2``, ...)."""
    if not isinstance(service, str) or not _SERVICE_NAME.fullmatch(service):
        raise UsageError(
            f"{service!r} is not an AWS service name: give the short name that starts "
            "its endpoint, such as 's3', 'ec2', 'secretsmanager' or 'dynamodb'."
        )
    return service


@contextmanager
def via(service: str) -> Iterator[None]:
    """Calls of this thread or task are made by ``service`` (checked) on the caller's behalf."""
    token = _via_service.set(service)
    try:
        yield
    finally:
        _via_service.reset(token)


def via_service_endpoint(region: str) -> str | None:
    """kms:ViaService of a call in ``region`` from this thread or task (None: a direct call).

    The service's endpoint name, such as ``s3.us-east-1.amazonaws.com`` (the form
    "kms:ViaService" in the AWS KMS Developer Guide's condition keys shows).
    """
    service = _via_service.get()
    return None if service is None else f"{service}.{region}.amazonaws.com"


class IdentityPolicies:
    """The IAM identity policies a test attached, by principal ARN: ``kms.iam``.

    Configuration of a mock, like :class:`Principals`. A role's policies apply
    to its sessions too; the account root needs none (and can have none).
    """

    def __init__(self) -> None:
        self._by_arn: dict[str, tuple[str, ...]] = {}

    def copy(self) -> IdentityPolicies:
        """A registry with the same attachments, changed independently from now on."""
        copied = IdentityPolicies()
        copied._by_arn = dict(self._by_arn)
        return copied

    def attach(self, principal_arn: str, policy: str | Mapping[str, Any]) -> None:
        """Attach an IAM identity policy (JSON text or dict) to a user or role.

        The policy is compiled now: one KMS or IAM would refuse is a UsageError
        that says why. A role's policies apply to every session of the role.
        """
        arn = _identity_arn(principal_arn)
        text = policy if isinstance(policy, str) else _policy_text(arn, policy)
        _check_identity_policy(arn, text)
        self._by_arn[arn] = (*self._by_arn.get(arn, ()), text)

    def detach(self, principal_arn: str) -> None:
        """Detach every policy attached to ``principal_arn`` (none attached: nothing happens)."""
        self._by_arn.pop(principal_arn, None)

    def attached(self, principal_arn: str) -> list[str]:
        """The texts of the policies attached to ``principal_arn`` itself, in attaching order."""
        return list(self._by_arn.get(principal_arn, ()))

    def attachments(self) -> dict[str, list[str]]:
        """Every attachment: principal ARN -> the texts of its policies, in attaching order."""
        return {arn: list(texts) for arn, texts in self._by_arn.items()}

    def of(self, principal: Principal) -> tuple[str, ...]:
        """The texts of the policies that apply to ``principal`` (its role's included)."""
        own = self._by_arn.get(principal.arn, ())
        if principal.role_arn is None:
            return own
        return self._by_arn.get(principal.role_arn, ()) + own


def _identity_arn(arn: object) -> str:
    """``arn`` if it names an IAM user or role: what identity policies attach to."""
    if isinstance(arn, str) and _USER_OR_ROLE_ARN.fullmatch(arn):
        return arn
    raise UsageError(
        f"{arn!r} is not an IAM user or role ARN: identity policies attach to "
        "arn:aws:iam::<account-id>:user/<name> or arn:aws:iam::<account-id>:role/<name> "
        "(a role's policies apply to its sessions; the account root needs none)."
    )


def _policy_text(arn: str, policy: object) -> str:
    if not isinstance(policy, Mapping):
        raise UsageError(
            f"identity policy {policy!r} is neither a JSON text nor a dict: pass "
            '{"Version": "2012-10-17", "Statement": [...]} or its json.dumps().'
        )
    try:
        return json.dumps(policy)
    except RecursionError:
        # Not shown: its repr would recurse as deep.
        raise UsageError(
            f"the identity policy for {arn} cannot be written as JSON: it is nested deeper "
            "than Python's JSON encoder goes (IAM would refuse it as malformed)."
        ) from None
    except (TypeError, ValueError) as error:
        raise UsageError(f"identity policy {policy!r} cannot be written as JSON: {error}") from None


def _check_identity_policy(arn: str, text: str) -> None:
    """Refuse what IAM refuses in an identity policy, naming the problem."""
    try:
        compile_policy(text)
    except MalformedPolicyDocumentException as error:
        raise UsageError(f"the identity policy for {arn} is malformed: {error.message}") from None
    statements = json.loads(text)["Statement"]
    if any("Principal" in s or "NotPrincipal" in s for s in as_list(statements)):
        # IAM's own words for this (MalformedPolicyDocument in CreatePolicy).
        raise UsageError(
            f"the identity policy for {arn} is malformed: Policy document should not "
            "specify a principal. (A Principal belongs in the key policy.)"
        )


# The identity_policies setting: principal ARN -> the policies attached to it.
IdentityPolicySetting = Mapping[str, Sequence[str | Mapping[str, Any]]]


def attached_policies(setting: object) -> IdentityPolicies:
    """A registry holding the ``identity_policies`` setting (None: no policies)."""
    registry = IdentityPolicies()
    if setting is None:
        return registry
    if not isinstance(setting, Mapping):
        raise UsageError(
            f"identity_policies={setting!r} must be a dict of user or role ARNs to lists of "
            'policies, such as {"arn:aws:iam::123456789012:role/App": [policy]}.'
        )
    for arn, policies in setting.items():
        if isinstance(policies, str | Mapping) or not isinstance(policies, Sequence):
            raise UsageError(
                f"identity_policies[{arn!r}] must be a list of policies (JSON texts or "
                f"dicts), not {policies!r}."
            )
        for policy in policies:
            registry.attach(arn, policy)
    return registry
