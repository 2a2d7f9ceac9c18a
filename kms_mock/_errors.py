"""The two error families: AWS-faithful service errors and mock-misuse errors.

Service errors carry what AWS puts on the wire (code, message, HTTP status) and
are turned into a JSON error body by the wire layer; botocore then raises its
own modeled exception for them. Usage errors are raised straight at the caller
of the mock and say what to do instead.
"""

from __future__ import annotations


class KmsMockError(Exception):
    """Base class of every error about misusing kms_mock itself (not AWS errors)."""


class UsageError(KmsMockError):
    """The mock was used in a way it does not support; the message says what to do."""


class ServiceError(Exception):
    """An AWS KMS error response: the AWS error code, message and HTTP status.

    ``message=None`` means AWS sends no message member at all (as it does for
    ``InvalidCiphertextException``), which is different from an empty message.
    """

    code: str = "KMSInternalException"
    status: int = 400
    # The JSON member that carries the message on the wire.
    message_member: str = "message"
    # Whether a fault rule made this error up (the audit log marks the call).
    injected: bool = False

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "")
        self.message = message

    def __repr__(self) -> str:
        return f"{self.code}({self.message!r})"


# The request is malformed, names what does not exist, or would exceed what AWS allows
# (each a client error, HTTP 400).
class ValidationException(ServiceError):
    code = "ValidationException"


class SerializationException(ServiceError):
    code = "SerializationException"


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"


class InvalidArnException(ServiceError):
    code = "InvalidArnException"


class InvalidAliasNameException(ServiceError):
    code = "InvalidAliasNameException"


class InvalidMarkerException(ServiceError):
    code = "InvalidMarkerException"


class MalformedPolicyDocumentException(ServiceError):
    code = "MalformedPolicyDocumentException"


class TagException(ServiceError):
    code = "TagException"


class NotFoundException(ServiceError):
    code = "NotFoundException"


class CustomKeyStoreNotFoundException(ServiceError):
    code = "CustomKeyStoreNotFoundException"


class AlreadyExistsException(ServiceError):
    code = "AlreadyExistsException"


class CustomKeyStoreNameInUseException(ServiceError):
    code = "CustomKeyStoreNameInUseException"


class CloudHsmClusterInUseException(ServiceError):
    code = "CloudHsmClusterInUseException"


class XksProxyUriInUseException(ServiceError):
    code = "XksProxyUriInUseException"


class XksProxyUriEndpointInUseException(ServiceError):
    code = "XksProxyUriEndpointInUseException"


class XksProxyVpcEndpointServiceInUseException(ServiceError):
    code = "XksProxyVpcEndpointServiceInUseException"


class XksKeyAlreadyInUseException(ServiceError):
    code = "XksKeyAlreadyInUseException"


class LimitExceededException(ServiceError):
    code = "LimitExceededException"


# A request quota was exceeded: a client error (HTTP 400) that the model does not list.
class ThrottlingException(ServiceError):
    code = "ThrottlingException"


# AWS's text (AWS KMS Developer Guide, "Request quotas").
THROTTLED_MESSAGE = (
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
)


# The key exists but cannot serve this call: the caller may not, or its state, usage,
# type or schedule forbids it.
class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"
    # Not in KMS's model: the answer comes from AWS's authorization layer, whose
    # body says "Message" (a raw body recorded in aws-nitro-enclaves-sdk-c issue 157).
    message_member = "Message"


class NotAuthorizedException(ServiceError):
    code = "NotAuthorizedException"


class DisabledException(ServiceError):
    code = "DisabledException"


class KMSInvalidStateException(ServiceError):
    code = "KMSInvalidStateException"


class CustomKeyStoreInvalidStateException(ServiceError):
    code = "CustomKeyStoreInvalidStateException"


class CustomKeyStoreHasCMKsException(ServiceError):
    code = "CustomKeyStoreHasCMKsException"


class InvalidKeyUsageException(ServiceError):
    code = "InvalidKeyUsageException"


class IncorrectKeyException(ServiceError):
    code = "IncorrectKeyException"


class UnsupportedOperationException(ServiceError):
    code = "UnsupportedOperationException"


class ConflictException(ServiceError):
    code = "ConflictException"


# ImportKeyMaterial: the import token, or the key material it carries, does not do.
class InvalidImportTokenException(ServiceError):
    code = "InvalidImportTokenException"


class ExpiredImportTokenException(ServiceError):
    code = "ExpiredImportTokenException"


class IncorrectKeyMaterialException(ServiceError):
    code = "IncorrectKeyMaterialException"


# A grant named by a token or a grant id that does not name one.
class InvalidGrantTokenException(ServiceError):
    code = "InvalidGrantTokenException"


class InvalidGrantIdException(ServiceError):
    code = "InvalidGrantIdException"


# What was presented does not verify under the key: AWS says only which check failed,
# with no message.
class InvalidCiphertextException(ServiceError):
    code = "InvalidCiphertextException"


class KMSInvalidMacException(ServiceError):
    code = "KMSInvalidMacException"


class KMSInvalidSignatureException(ServiceError):
    code = "KMSInvalidSignatureException"


# DryRun: the call would have succeeded.
class DryRunOperationException(ServiceError):
    code = "DryRunOperationException"


# Server faults (modeled with "fault": true).
class KMSInternalException(ServiceError):
    code = "KMSInternalException"
    status = 500


# The transport failures a fault rule can make.
CONNECTION_ERROR = "connection_error"
READ_TIMEOUT = "read_timeout"


class TransportFault(Exception):
    """A request the transport must fail as a broken connection would: there is no KMS answer.

    ``kind`` is CONNECTION_ERROR or READ_TIMEOUT.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class NotImplementedByMock(ServiceError):
    """An operation of botocore's KMS model that kms_mock does not serve yet.

    It is an error response (never a network call, never a traceback), whose
    code names the situation so that a failing test explains itself.
    """

    code = "NotImplementedByKmsMock"
    status = 501

    def __init__(self, what: str) -> None:
        super().__init__(
            f"not implemented by kms_mock: {what}. kms_mock does not serve this yet; "
            "see the README's list of supported operations."
        )
