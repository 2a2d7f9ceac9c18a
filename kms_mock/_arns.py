"""ARNs and partitions: how KMS names keys and aliases."""

from __future__ import annotations


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
