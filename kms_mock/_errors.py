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

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "")
        self.message = message

    def __repr__(self) -> str:
        return f"{self.code}({self.message!r})"


# Client errors (HTTP 400), named exactly as AWS names them.
class AccessDeniedException(ServiceError):
    """AWS error ``AccessDeniedException``."""

    code = "AccessDeniedException"


class AlreadyExistsException(ServiceError):
    """AWS error ``AlreadyExistsException``."""

    code = "AlreadyExistsException"


class ConflictException(ServiceError):
    """AWS error ``ConflictException``."""

    code = "ConflictException"


class CustomKeyStoreNotFoundException(ServiceError):
    """AWS error ``CustomKeyStoreNotFoundException``."""

    code = "CustomKeyStoreNotFoundException"


class DisabledException(ServiceError):
    """AWS error ``DisabledException``."""

    code = "DisabledException"


class DryRunOperationException(ServiceError):
    """AWS error ``DryRunOperationException``."""

    code = "DryRunOperationException"


class IncorrectKeyException(ServiceError):
    """AWS error ``IncorrectKeyException``."""

    code = "IncorrectKeyException"


class InvalidAliasNameException(ServiceError):
    """AWS error ``InvalidAliasNameException``."""

    code = "InvalidAliasNameException"


class InvalidArnException(ServiceError):
    """AWS error ``InvalidArnException``."""

    code = "InvalidArnException"


class InvalidCiphertextException(ServiceError):
    """AWS error ``InvalidCiphertextException``."""

    code = "InvalidCiphertextException"


class InvalidKeyUsageException(ServiceError):
    """AWS error ``InvalidKeyUsageException``."""

    code = "InvalidKeyUsageException"


class InvalidMarkerException(ServiceError):
    """AWS error ``InvalidMarkerException``."""

    code = "InvalidMarkerException"


class KMSInvalidMacException(ServiceError):
    """AWS error ``KMSInvalidMacException`` (AWS sends it without a message)."""

    code = "KMSInvalidMacException"


class KMSInvalidSignatureException(ServiceError):
    """AWS error ``KMSInvalidSignatureException`` (AWS sends it without a message)."""

    code = "KMSInvalidSignatureException"


class KMSInvalidStateException(ServiceError):
    """AWS error ``KMSInvalidStateException``."""

    code = "KMSInvalidStateException"


class LimitExceededException(ServiceError):
    """AWS error ``LimitExceededException``."""

    code = "LimitExceededException"


class MalformedPolicyDocumentException(ServiceError):
    """AWS error ``MalformedPolicyDocumentException``."""

    code = "MalformedPolicyDocumentException"


class NotAuthorizedException(ServiceError):
    """AWS error ``NotAuthorizedException``."""

    code = "NotAuthorizedException"


class NotFoundException(ServiceError):
    """AWS error ``NotFoundException``."""

    code = "NotFoundException"


class TagException(ServiceError):
    """AWS error ``TagException``."""

    code = "TagException"


class UnsupportedOperationException(ServiceError):
    """AWS error ``UnsupportedOperationException``."""

    code = "UnsupportedOperationException"


class ValidationException(ServiceError):
    """AWS error ``ValidationException``."""

    code = "ValidationException"


class UnknownOperationException(ServiceError):
    """AWS error ``UnknownOperationException``."""

    code = "UnknownOperationException"


class SerializationException(ServiceError):
    """AWS error ``SerializationException``."""

    code = "SerializationException"


# Server faults (modeled with "fault": true).
class KMSInternalException(ServiceError):
    """AWS error ``KMSInternalException``."""

    code = "KMSInternalException"
    status = 500


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
