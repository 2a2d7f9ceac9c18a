"""The writer role encrypts and cannot decrypt; a grant lets the reader decrypt one key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

    from kms_mock.plugin import KmsKeyFactory


def test_the_writer_encrypts_but_cannot_decrypt(kms_key: KmsKeyFactory, writer: KMSClient) -> None:
    key = kms_key()
    blob = writer.encrypt(KeyId=key["Arn"], Plaintext=b"report")["CiphertextBlob"]

    with pytest.raises(ClientError) as denied:
        writer.decrypt(CiphertextBlob=blob)

    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/Writer/kms-mock is not authorized to "
        f"perform: kms:Decrypt on resource: {key['Arn']} because no identity-based policy "
        "allows the kms:Decrypt action"
    )


def test_a_grant_lets_the_reader_decrypt(
    kms_key: KmsKeyFactory,
    kms_client: KMSClient,
    writer: KMSClient,
    reader: KMSClient,
    reader_arn: str,
) -> None:
    key = kms_key()
    context = {"purpose": "reports"}
    blob = writer.encrypt(KeyId=key["Arn"], Plaintext=b"report", EncryptionContext=context)[
        "CiphertextBlob"
    ]
    kms_client.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=reader_arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": context},
    )

    answer = reader.decrypt(CiphertextBlob=blob, EncryptionContext=context)

    assert answer["Plaintext"] == b"report"
    with pytest.raises(ClientError) as denied:  # the grant's constraint is not met
        reader.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other"})
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.kms_mock(enforce_permissions=False)
def test_without_enforcement_every_call_is_allowed(
    kms_key: KmsKeyFactory, writer: KMSClient
) -> None:
    key = kms_key()
    blob = writer.encrypt(KeyId=key["Arn"], Plaintext=b"report")["CiphertextBlob"]

    assert writer.decrypt(CiphertextBlob=blob)["Plaintext"] == b"report"
