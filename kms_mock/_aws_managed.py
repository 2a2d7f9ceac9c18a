"""AWS managed keys: ``alias/aws/<service>`` keys that appear on first use.

Naming a predefined AWS alias in DescribeKey or a cryptographic operation
creates that account and region's AWS managed key (the AWS KMS Developer
Guide's "AWS managed keys") — when the call succeeds: a failed or DryRun call
that names it leaves nothing behind. Such keys have KeyManager AWS and a
policy that lets only the service use them.

The key's id and first material derive from the backend's salt and the
alias, not from its entropy: a call that names the alias and fails draws
nothing, and the key it names in its error is the one a later call creates.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from . import _rotation
from ._bytestream import ByteStream
from ._keyfactory import jackson_json, new_key
from ._keyspecs import ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT
from ._models import Alias, Key
from ._store import arn, partition_for

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


class _DerivedRandomness:
    """The bits of one AWS managed key: the same for the same backend, account, Region and alias."""

    def __init__(self, salt: bytes, account_id: str, region: str, alias_name: str) -> None:
        self._stream = ByteStream(salt, f"aws-managed {account_id} {region} {alias_name}".encode())

    def token_bytes(self, n: int) -> bytes:
        return self._stream.read(n)

    def uuid4(self) -> str:
        return str(uuid.UUID(bytes=self._stream.read(16), version=4))


def aws_managed_key_for(request: Request, alias_name: str) -> Key | None:
    """The AWS managed key behind a predefined ``alias/aws/<service>`` not created yet.

    The key is provisional: the same object however often this call names the
    alias, stored (with its alias and yearly rotation) only if the call succeeds.
    """
    service = alias_name.removeprefix(AWS_ALIAS_PREFIX)
    if not alias_name.startswith(AWS_ALIAS_PREFIX) or service not in PREDEFINED_SERVICES:
        return None
    provisional = request.provisional_keys
    key = provisional.get(alias_name)
    if key is None:
        key = provisional[alias_name] = _new_aws_managed_key(request, service, alias_name)
        request.on_success(lambda: _add_to_store(request, key, alias_name))
    return key


def _new_aws_managed_key(request: Request, service: str, alias_name: str) -> Key:
    backend, account_id, region = request.backend, request.account_id, request.region
    return new_key(
        backend,
        account_id,
        region,
        request.now,
        key_spec=SYMMETRIC_DEFAULT,
        key_usage=ENCRYPT_DECRYPT,
        origin="AWS_KMS",
        policy=aws_managed_policy(service, account_id, region),
        description=f"Default key that protects my {_PROTECTED.get(service, service + ' data')} "
        "when no other key is defined",
        key_manager="AWS",
        randomness=_DerivedRandomness(backend.material_id_salt, account_id, region, alias_name),
    )


def _add_to_store(request: Request, key: Key, alias_name: str) -> None:
    store = request.store
    if alias_name in store.aliases:
        # Another call stored it while this one had let go of the lock (to make
        # a key pair): the same key, for its id and material derive alike.
        return
    store.add_key(key)
    store.add_alias(
        Alias(
            name=alias_name,
            arn=arn(store.region, store.account_id, alias_name),
            target_key_id=key.key_id,
            created_at=request.now,
            last_updated_at=request.now,
        )
    )
    _rotation.start_aws_managed(request.backend, key)
