"""AWS managed keys: ``alias/aws/<service>`` keys that appear on first use.

Naming a predefined AWS alias in DescribeKey or a cryptographic operation
creates that account and region's AWS managed key (spec §1.9). Such keys have
KeyManager AWS and a policy that lets only the service use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _rotation
from ._keyfactory import add_key, jackson_json
from ._keyspecs import ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT
from ._models import Alias, Key
from ._store import RegionStore, arn, partition_for

if TYPE_CHECKING:
    from ._dispatch import Request

AWS_ALIAS_PREFIX = "alias/aws/"

# The predefined aliases of services that use AWS managed keys.
PREDEFINED_SERVICES = frozenset(
    {
        "acm",
        "backup",
        "dynamodb",
        "ebs",
        "elasticfilesystem",
        "es",
        "glue",
        "kinesis",
        "kinesisvideo",
        "lambda",
        "rds",
        "redshift",
        "s3",
        "secretsmanager",
        "sns",
        "sqs",
        "ssm",
        "xray",
    }
)


# What AWS's descriptions say each service's key protects (as seen in public
# DescribeKey output); other services get "<service> data".
_PROTECTED = {
    "acm": "ACM private keys",
    "backup": "Backup data",
    "dynamodb": "DynamoDB data",
    "ebs": "EBS volumes",
    "elasticfilesystem": "EFS filesystems",
    "lambda": "Lambda functions",
    "rds": "RDS database volumes",
    "s3": "S3 objects",
    "ssm": "SSM parameters",
}


def aws_managed_policy(service: str, account_id: str, region: str) -> str:
    """The key policy of the AWS managed key of ``service``."""
    root = f"arn:{partition_for(region)}:iam::{account_id}:root"
    return jackson_json(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {service} for all principals in the account "
                    f"that are authorized to use {service}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account_id,
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        }
    )


def aws_managed_key_for(request: Request, store: RegionStore, alias_name: str) -> Key | None:
    """Create the AWS managed key behind a predefined ``alias/aws/<service>``, if it is one."""
    service = alias_name.removeprefix(AWS_ALIAS_PREFIX)
    if not alias_name.startswith(AWS_ALIAS_PREFIX) or service not in PREDEFINED_SERVICES:
        return None
    key = add_key(
        request.backend,
        store,
        request.now,
        key_spec=SYMMETRIC_DEFAULT,
        key_usage=ENCRYPT_DECRYPT,
        origin="AWS_KMS",
        policy=aws_managed_policy(service, store.account_id, store.region),
        description=f"Default key that protects my {_PROTECTED.get(service, service + ' data')} "
        "when no other key is defined",
        key_manager="AWS",
    )
    _rotation.start_aws_managed(request.backend, key)
    store.aliases[alias_name] = Alias(
        name=alias_name,
        arn=arn(store.region, store.account_id, alias_name),
        target_key_id=key.key_id,
        created_at=request.now,
        last_updated_at=request.now,
    )
    return key
