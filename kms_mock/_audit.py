"""A CloudTrail-shaped record of every call and every service-initiated event.

Recording must stay cheap on the request path, so a call stores a small raw
record; the CloudTrail-shaped dict (spec §5) is built only when the test reads
``kms.audit_log``. Service events (automatic rotation, key deletion) are dated
at their scheduled times, not when the test happened to look.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ._arns import partition_for
from ._entropy import Entropy
from ._validation import operation_model, service_model

EVENT_VERSION = "1.11"
EVENT_SOURCE = "kms.amazonaws.com"
_READ_ONLY_PREFIXES = ("Describe", "List", "Get")
_CRYPTOGRAPHIC = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateRandom",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
    }
)
# Secrets never go into the log (CloudTrail omits plaintexts and ciphertexts).
_SECRET_MEMBERS = frozenset(
    {
        "Plaintext",
        "CiphertextBlob",
        "PrivateKeyPlaintext",
        "PrivateKeyCiphertextBlob",
        "SharedSecret",
        "Message",
        "Signature",
        "Mac",
        "EncryptedKeyMaterial",
        "ImportToken",
        "PublicKey",
        "CiphertextForRecipient",
    }
)


def _iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decapitalize(name: str) -> str:
    """A member name as CloudTrail (Java beans) writes it: ``KeyId`` -> ``keyId``.

    As ``java.beans.Introspector.decapitalize`` does, a name that starts with two
    capitals stays as it is: ``AWSAccountId`` (CloudTrail's CreateKey example).
    """
    if name[1:2].isupper() and name[:1].isupper():
        return name
    return name[:1].lower() + name[1:]


def _shape_of(operation: str, direction: str) -> Shape | None:
    """The input or output shape of ``operation`` in botocore's model, if it has one."""
    if operation not in service_model().operation_names:
        return None
    model = operation_model(operation)
    return model.input_shape if direction == "input" else model.output_shape


def _shown(shape: Shape | None, value: Any) -> Any:
    """``value`` as CloudTrail shows it, guided by its shape in the model.

    Structure members become lowerCamel (at every depth, as CloudTrail's
    ``keyMetadata.keyId``), map keys stay as given (an encryption context is
    shown verbatim), blobs and secrets are left out, timestamps (datetimes, or
    epoch numbers in a raw request) become ISO-8601. The result is plain JSON.
    """
    kind = None if shape is None else shape.type_name
    if isinstance(value, dict):
        if kind == "map":
            assert isinstance(shape, MapShape)
            return {name: _shown(shape.value, item) for name, item in value.items()}
        members = shape.members if isinstance(shape, StructureShape) else {}
        shown: dict[str, Any] = {}
        for name, item in value.items():
            member = members.get(name)
            if (
                name in _SECRET_MEMBERS
                or isinstance(item, bytes)
                or (member is not None and member.type_name == "blob")
            ):
                continue
            shown[_decapitalize(name)] = _shown(member, item)
        return shown
    if isinstance(value, list):
        item_shape = shape.member if isinstance(shape, ListShape) else None
        return [_shown(item_shape, item) for item in value if not isinstance(item, bytes)]
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if kind == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool):
        return _iso(_dt.datetime.fromtimestamp(value, _dt.UTC))
    return value


@dataclass(slots=True)
class AuditRecord:
    """One call or service event, kept raw until the log is read."""

    event_name: str
    when: _dt.datetime
    region: str
    account_id: str
    event_id: str
    request_id: str | None = None
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    error: tuple[str, str | None] | None = None
    resources: tuple[str, ...] = ()
    key_material_id: str | None = None
    event_type: str = "AwsApiCall"
    service_details: dict[str, Any] | None = None

    @property
    def is_service_event(self) -> bool:
        """Whether AWS itself (not a caller) did this."""
        return self.event_type == "AwsServiceEvent"

    def to_event(self) -> dict[str, Any]:
        """The CloudTrail-shaped event."""
        root = f"arn:{partition_for(self.region)}:iam::{self.account_id}:root"
        event: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": (
                {"accountId": self.account_id, "invokedBy": "AWS Internal"}
                if self.is_service_event
                else {
                    "type": "Root",
                    "principalId": self.account_id,
                    "arn": root,
                    "accountId": self.account_id,
                }
            ),
            "eventTime": _iso(self.when),
            "eventSource": EVENT_SOURCE,
            "eventName": self.event_name,
            "awsRegion": self.region,
            "sourceIPAddress": "AWS Internal" if self.is_service_event else "127.0.0.1",
            "userAgent": "AWS Internal" if self.is_service_event else "kms_mock",
            "requestParameters": self._request_parameters(),
            "responseElements": self._response_elements(),
            "eventID": self.event_id,
            "readOnly": self._read_only(),
            "resources": [
                {"accountId": self.account_id, "type": "AWS::KMS::Key", "ARN": arn}
                for arn in self.resources
            ],
            "eventType": self.event_type,
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",
        }
        if self.request_id is not None:
            event["requestID"] = self.request_id
        if self.error is not None:
            event["errorCode"] = self.error[0]
            event["errorMessage"] = self.error[1] or ""
        if self.key_material_id is not None:
            event["additionalEventData"] = {"keyMaterialId": self.key_material_id}
        if self.service_details:
            event["serviceEventDetails"] = dict(self.service_details)
        return event

    def _read_only(self) -> bool:
        name = self.event_name
        return not self.is_service_event and (
            name.startswith(_READ_ONLY_PREFIXES) or name in _CRYPTOGRAPHIC
        )

    def _request_parameters(self) -> dict[str, Any] | None:
        if self.request is None:
            return None
        shown: dict[str, Any] = _shown(_shape_of(self.event_name, "input"), self.request)
        if self.event_name == "Decrypt":
            # CloudTrail names the algorithm of every Decrypt, given or not (spec §5.1).
            shown.setdefault("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
        return shown

    def _response_elements(self) -> dict[str, Any] | None:
        if self.response is None or self.error is not None or self._read_only():
            return None
        shown: dict[str, Any] = _shown(_shape_of(self.event_name, "output"), self.response)
        if not shown and self.resources:
            # CloudTrail names the key even where the API response is empty.
            shown = {"keyId": self.resources[0]}
        return shown or None


class AuditLog:
    """Every record of one mock activation, oldest first."""

    def __init__(self, entropy: Entropy) -> None:
        self._entropy = entropy
        self.records: list[AuditRecord] = []

    def new_event_id(self) -> str:
        """A fresh eventID (a call learns its own before it is recorded)."""
        return self._entropy.uuid4()

    def api_call(self, **fields: Any) -> AuditRecord:
        """Record one API call (successful or not); ``event_id`` comes from new_event_id."""
        record = AuditRecord(**fields)
        self.records.append(record)
        return record

    def service_event(
        self,
        event_name: str,
        when: _dt.datetime,
        *,
        region: str,
        account_id: str,
        key_arn: str,
        details: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """Record something AWS did by itself, dated ``when`` (its scheduled time)."""
        record = AuditRecord(
            event_name=event_name,
            when=when,
            region=region,
            account_id=account_id,
            event_id=self._entropy.uuid4(),
            resources=(key_arn,),
            event_type="AwsServiceEvent",
            service_details=details,
        )
        self.records.append(record)
        return record

    def events(self) -> list[dict[str, Any]]:
        """The CloudTrail-shaped events, oldest first."""
        return [record.to_event() for record in self.records]
