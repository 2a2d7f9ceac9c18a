"""ARNs: how AWS names KMS keys, aliases and an account's root principal.

Formats as "Key identifiers (KeyId)" in the AWS KMS Developer Guide gives them
(https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id):
``arn:<partition>:kms:<region>:<account-id>:key/<key-id>`` and
``arn:<partition>:kms:<region>:<account-id>:alias/<alias-name>``.
"""

from __future__ import annotations

from typing import NamedTuple


def partition_for(region: str) -> str:
    """The ARN partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``, ...)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def arn(region: str, account_id: str, resource: str) -> str:
    """A KMS ARN, such as ``arn:aws:kms:us-east-1:123456789012:key/<id>``."""
    return f"arn:{partition_for(region)}:kms:{region}:{account_id}:{resource}"


def key_arn(region: str, account_id: str, key_id: str) -> str:
    """The ARN of the key ``key_id``."""
    return arn(region, account_id, f"key/{key_id}")


def alias_arn(region: str, account_id: str, alias_name: str) -> str:
    """The ARN of ``alias_name`` (which starts with ``alias/``, so it is the resource as is)."""
    return arn(region, account_id, alias_name)


def root_principal_arn(region: str, account_id: str) -> str:
    """The account's root principal, in the partition of ``region`` (IAM ARNs name no region)."""
    return f"arn:{partition_for(region)}:iam::{account_id}:root"


class KmsArn(NamedTuple):
    """The parts of a KMS ARN; ``resource`` is ``key/<id>`` or ``alias/<name>`` when well formed."""

    partition: str
    region: str
    account_id: str
    resource: str


def parse_kms_arn(value: str) -> KmsArn | None:
    """The parts of ``value`` if it is a KMS ARN (``arn:<partition>:kms:...``), else None.

    Only the frame is checked (six fields, service ``kms``): what the region and
    resource must look like is the caller's rule, with AWS's message for each case.
    """
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms":
        return None
    return KmsArn(parts[1], parts[3], parts[4], parts[5])
