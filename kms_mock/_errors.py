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


def _error(code: str, status: int = 400) -> type[ServiceError]:
    return type(code, (ServiceError,), {"code": code, "status": status, "__module__": __name__})


# Client errors (HTTP 400), named exactly as AWS names them.
AccessDeniedException = _error("AccessDeniedException")
AlreadyExistsException = _error("AlreadyExistsException")
ConflictException = _error("ConflictException")
CustomKeyStoreNotFoundException = _error("CustomKeyStoreNotFoundException")
DisabledException = _error("DisabledException")
DryRunOperationException = _error("DryRunOperationException")
IncorrectKeyException = _error("IncorrectKeyException")
InvalidAliasNameException = _error("InvalidAliasNameException")
InvalidArnException = _error("InvalidArnException")
InvalidCiphertextException = _error("InvalidCiphertextException")
InvalidKeyUsageException = _error("InvalidKeyUsageException")
InvalidMarkerException = _error("InvalidMarkerException")
KMSInvalidStateException = _error("KMSInvalidStateException")
LimitExceededException = _error("LimitExceededException")
MalformedPolicyDocumentException = _error("MalformedPolicyDocumentException")
NotAuthorizedException = _error("NotAuthorizedException")
NotFoundException = _error("NotFoundException")
TagException = _error("TagException")
UnsupportedOperationException = _error("UnsupportedOperationException")
ValidationException = _error("ValidationException")
UnknownOperationException = _error("UnknownOperationException")
SerializationException = _error("SerializationException")

# Server faults (modeled with "fault": true).
KMSInternalException = _error("KMSInternalException", 500)


class NotImplementedByMock(ServiceError):
    """An operation of botocore's KMS model that kms_mock does not serve yet.

    It is an error response (never a network call, never a traceback), whose
    code names the situation so that a failing test explains itself.
    """

    code = "NotImplementedByKmsMock"
    status = 501

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"not implemented by kms_mock: {operation}. kms_mock does not serve this "
            "KMS operation yet; see the README's list of supported operations."
        )
