"""AWS managed keys: the keys behind the predefined ``alias/aws/<service>`` aliases.

Naming a predefined AWS alias in DescribeKey or a cryptographic operation
creates that account and Region's AWS managed key (AWS KMS Developer Guide,
https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key).
This module only derives such a key; the request that named the alias stores
it (with its alias and yearly rotation) if it succeeds, so a failed or DryRun
call leaves nothing behind.

The key's id and first material derive from the backend's salt and the
alias, not from its entropy: a call that names the alias and fails draws
nothing, and the key it names in its error is the one a later call creates.
"""

from __future__ import annotations

import datetime as _dt
import uuid

from ._arns import root_principal_arn
from ._bytestream import ByteStream
from ._keyfactory import KeySource, jackson_json, new_key
from ._keyspecs import ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT
from ._models import Key

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


# How AWS's managed-key policies name a service, where its name is not its
# short name in capitals (as the policies FogSecurity/aws-managed-kms-keys
# recorded show them); and the services whose calls come from another endpoint.
_DISPLAY_NAMES = {
    "dynamodb": "DynamoDB",
    "elasticfilesystem": "Amazon Elastic File System",
    "kinesisvideo": "Kinesis Video Streams",
    "lambda": "Lambda",
    "secretsmanager": "Secrets Manager",
    "xray": "X-Ray",
}
_ENDPOINTS = {"ebs": "ec2"}
# EBS creates grants for the instances that attach a volume, and revokes them.
_GRANTING_SERVICES = frozenset({"ebs"})


def aws_managed_policy(service: str, account_id: str, region: str) -> str:
    """The key policy of the AWS managed key of ``service``, pretty-printed as AWS serves it.

    Principals of the account may use the key only through the service
    (kms:ViaService) and read its metadata directly: a direct Encrypt is denied.
    https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
    """
    name = _DISPLAY_NAMES.get(service, service.upper())
    granting = service in _GRANTING_SERVICES
    through = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
    through += ["kms:CreateGrant", "kms:DescribeKey"] if granting else ["kms:DescribeKey"]
    metadata = ["kms:Describe*", "kms:Get*", "kms:List*"]
    metadata += ["kms:RevokeGrant"] if granting else []
    endpoint = _ENDPOINTS.get(service, service)
    return jackson_json(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-2",
            "Statement": [
                {
                    "Sid": f"Allow access through {name} for all principals in the account "
                    f"that are authorized to use {name}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": through,
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account_id,
                            "kms:ViaService": f"{endpoint}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": root_principal_arn(region, account_id)},
                    "Action": metadata,
                    "Resource": "*",
                },
            ],
        }
    )


class _DerivedRandomness:
    """The bits of one AWS managed key: the same for the same backend, account, Region and alias."""

    def __init__(self, salt: bytes, account_id: str, region: str, alias_name: str) -> None:
        self._stream = ByteStream(salt, f"aws-managed {account_id} {region} {alias_name}".encode())

    def token_bytes(self, n: int) -> bytes:
        return self._stream.read(n)

    def uuid4(self) -> str:
        return str(uuid.UUID(bytes=self._stream.read(16), version=4))


def _is_predefined(alias_name: str) -> bool:
    service = alias_name.removeprefix(AWS_ALIAS_PREFIX)
    return alias_name.startswith(AWS_ALIAS_PREFIX) and service in PREDEFINED_SERVICES


def aws_managed_key_id(salt: bytes, account_id: str, region: str, alias_name: str) -> str | None:
    """The id the AWS managed key of ``alias_name`` has (or will have, once a call names it).

    None for a name that is not a predefined alias. Cheap: no key is made.
    """
    if not _is_predefined(alias_name):
        return None
    return _DerivedRandomness(salt, account_id, region, alias_name).uuid4()


def derive_aws_managed_key(
    source: KeySource, account_id: str, region: str, alias_name: str, now: _dt.datetime
) -> Key | None:
    """The AWS managed key of the predefined alias ``alias_name`` (None for any other name).

    Not stored, and nothing else changes: its id and material derive from
    ``source``'s material-id salt, the account, the Region and the alias.
    """
    if not _is_predefined(alias_name):
        return None
    service = alias_name.removeprefix(AWS_ALIAS_PREFIX)
    return new_key(
        source,
        account_id,
        region,
        now,
        key_spec=SYMMETRIC_DEFAULT,
        key_usage=ENCRYPT_DECRYPT,
        origin="AWS_KMS",
        policy=aws_managed_policy(service, account_id, region),
        description=f"Default key that protects my {_PROTECTED.get(service, service + ' data')} "
        "when no other key is defined",
        key_manager="AWS",
        randomness=_DerivedRandomness(source.material_id_salt, account_id, region, alias_name),
    )
