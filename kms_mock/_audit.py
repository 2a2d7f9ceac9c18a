"""A CloudTrail-shaped record of every call and every service-initiated event.

A record keeps only what its CloudTrail event shows, rendered when the call
happens: no plaintext, key or blob of any kind (CloudTrail omits them), and no
reference to the request or response, which would keep every payload of a
long test alive. The envelope around it is built when ``kms.audit_log`` is
read. Service events (automatic rotation, key deletion) are dated at their
scheduled times; the log lists events by event time, ties by arrival, and
keeps the newest ``limit`` of them.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from botocore.model import ListShape, MapShape, Shape, StructureShape

from ._arns import parse_kms_arn
from ._callers import ASSUMED_ROLE, IAM_USER, Principal
from ._entropy import Entropy
from ._settings import DEFAULT_AUDIT_LOG_LIMIT
from ._shapes import ShapeWalker, is_opaque, operation_model, service_model, timestamp_from_wire

if TYPE_CHECKING:
    from ._errors import ServiceError

EVENT_VERSION = "1.11"
# additionalEventData member of kms_mock's own, on the record of an injected error.
INJECTED_MARK = "kmsMockInjected"
EVENT_SOURCE = "kms.amazonaws.com"
_READ_ONLY_PREFIXES = ("Describe", "List", "Get")
# CloudTrail marks these readOnly and shows no responseElements for them: AWS KMS's
# cryptographic operations, as listed (alphabetically) in the AWS KMS Developer Guide,
# https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations
_CRYPTOGRAPHIC = frozenset(
    {
        "Decrypt",
        "DeriveSharedSecret",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GenerateRandom",
        "ReEncrypt",
        "Sign",
        "Verify",
        "VerifyMac",
    }
)
# A grant token (GrantTokenType in botocore's model): CloudTrail's CreateGrant and
# RetireGrant examples show none, and the log keeps none in any operation's record.
_GRANT_TOKEN_SHAPE: Final = "GrantTokenType"
# Plain JSON values a record may keep as they are.
_SCALARS: Final = (str, int, float, type(None))
# Strings shared between records (user agents, regions, key ids) are kept
# once; the table is emptied when full, so it cannot grow with the log.
_SHARED_STRINGS: Final = 1024


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


# -- rendering: what CloudTrail shows of a request or response -------------------------------

# A converter turns a value of one shape into what CloudTrail shows of it, or
# _LEFT_OUT (a value that does not fit its shape shows nothing). None stands
# for a scalar member, kept as it is: the common case, checked inline.
Converter = Callable[[Any], Any]
_LEFT_OUT: Final = object()


class _Structure:
    """Shows a structure's members under their lowerCamel names, leaving out opaque ones."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: dict[str, tuple[str, Converter | None]] = {}

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return _LEFT_OUT
        shown: dict[str, Any] = {}
        for name, item in value.items():
            member = self.members.get(name)
            if member is None:  # opaque, or not in the model
                continue
            shown_name, convert = member
            if convert is None:
                if not isinstance(item, _SCALARS):
                    continue
            else:
                item = convert(item)
                if item is _LEFT_OUT:
                    continue
            shown[shown_name] = item
        return shown


def _scalar(value: Any) -> Any:
    return value if isinstance(value, _SCALARS) else _LEFT_OUT


def _each(convert: Converter) -> Converter:
    """Shows a list, item by item."""

    def shown(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return _LEFT_OUT
        items = (convert(item) for item in value)
        return [item for item in items if item is not _LEFT_OUT]

    return shown


def _map(convert: Converter) -> Converter:
    """Shows a map with its keys as given (an encryption context appears verbatim)."""

    def shown(value: Any) -> Any:
        if not isinstance(value, dict):
            return _LEFT_OUT
        items = ((key, convert(item)) for key, item in value.items())
        return {key: item for key, item in items if item is not _LEFT_OUT}

    return shown


def _holds_grant_tokens(shape: Shape) -> bool:
    """Whether values of ``shape`` are grant tokens (a list: whether its items are)."""
    if isinstance(shape, ListShape):
        return _holds_grant_tokens(shape.member)
    return shape.name == _GRANT_TOKEN_SHAPE


def _quoted_grant_tokens(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """How a validation message quotes the grant tokens ``value`` holds, and where.

    As AWS prints values: a list as ``[a, b]``, its items at ``<path>.<n>.member``.
    """
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        yield f"[{', '.join(value)}]", path
        for number, item in enumerate(value, 1):
            yield item, f"{path}.{number}.member"


def _timestamp(value: Any) -> Any:
    """ISO-8601 from a datetime (a response) or epoch seconds (a raw request)."""
    if not isinstance(value, _dt.datetime):
        value = timestamp_from_wire(value)
        if value is None:
            return _LEFT_OUT
    return _iso(value)


class _Compiler(ShapeWalker[[], Converter | None]):
    """Converters for botocore shapes; a structure's is shared by every use of its shape.

    It walks each shape once, not each value: a record then only runs the
    converters, and (unlike validation) needs no path and no verdict.
    """

    def __init__(self) -> None:
        self._structures: dict[str, _Structure] = {}

    def converter(self, shape: Shape) -> Converter | None:
        return self.handler(shape)(shape)

    def structure_or_empty(self, shape: StructureShape | None) -> _Structure:
        """The converter of an operation's input or output (an empty one where it has none)."""
        return _Structure() if shape is None else self.structure(shape)

    def structure(self, shape: StructureShape) -> _Structure:
        structure = self._structures.get(shape.name)
        if structure is None:
            # Registered before its members are compiled: a shape may contain itself.
            structure = self._structures[shape.name] = _Structure()
            for name, member in shape.members.items():
                # CloudTrail shows no plaintext, ciphertext, key, signature, MAC or password;
                # nor is a grant token kept, which makes its grant take effect at once.
                if not is_opaque(member) and not _holds_grant_tokens(member):
                    structure.members[name] = (_decapitalize(name), self.converter(member))
        return structure

    def list(self, shape: ListShape) -> Converter:
        return _each(self.converter(shape.member) or _scalar)

    def map(self, shape: MapShape) -> Converter:
        return _map(self.converter(shape.value) or _scalar)

    def timestamp(self, shape: Shape) -> Converter:
        return _timestamp

    def scalar(self, shape: Shape) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """How the record of one operation is rendered, compiled once from botocore's model."""

    name: str
    request: _Structure
    response: _Structure | None  # None: CloudTrail shows no responseElements
    # The request members that hold grant tokens: (name, lowerCamel name).
    grant_token_members: tuple[tuple[str, str], ...] = ()

    def recorded_message(self, message: str | None, params: Any) -> str | None:
        """An error's message without the grant tokens a validation message may quote.

        The caller gets AWS's message; the record shows such a value as AWS shows a
        password's (``Value at 'grantTokens' failed to satisfy constraint: ...``).
        """
        if not message or not self.grant_token_members or not isinstance(params, dict):
            return message
        for name, shown_name in self.grant_token_members:
            for quoted, path in _quoted_grant_tokens(params.get(name), shown_name):
                message = message.replace(f"Value '{quoted}' at '{path}'", f"Value at '{path}'")
        return message


def is_read_only(event_name: str) -> bool:
    """Whether CloudTrail marks calls of ``event_name`` readOnly: they change no state."""
    return event_name.startswith(_READ_ONLY_PREFIXES) or event_name in _CRYPTOGRAPHIC


_PLANS: dict[str, _Plan] = {}
_COMPILER = _Compiler()
# Two mocks in two threads may render their first record of an operation at once.
_COMPILING = threading.Lock()


def _plan(operation: str) -> _Plan:
    """The rendering plan of ``operation``, compiled on its first record."""
    plan = _PLANS.get(operation)
    if plan is not None:
        return plan
    if operation not in service_model().operation_names:
        # An unknown operation: no member is in the model, so none is shown.
        return _Plan(operation, _Structure(), None)
    with _COMPILING:
        model = operation_model(operation)
        members = {} if model.input_shape is None else model.input_shape.members
        plan = _Plan(
            model.name,
            _COMPILER.structure_or_empty(model.input_shape),
            None if is_read_only(operation) else _COMPILER.structure_or_empty(model.output_shape),
            tuple(
                (name, _decapitalize(name))
                for name, member in members.items()
                if _holds_grant_tokens(member)
            ),
        )
        _PLANS[operation] = plan
    return plan


def _thawed(value: Any) -> Any:
    """A fresh copy of rendered JSON: readers may change what they get."""
    if isinstance(value, dict):
        return {name: _thawed(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_thawed(item) for item in value]
    return value


# -- records and the log ------------------------------------------------------------------


class AuditedCall(Protocol):
    """What the log reads of a call: ``_dispatch.Request`` is one, defined above this layer."""

    @property
    def operation(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def now(self) -> _dt.datetime: ...
    @property
    def request_id(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def user_agent(self) -> str: ...
    @property
    def principal(self) -> Principal: ...
    @property
    def access_key_id(self) -> str | None: ...  # of registered credentials only
    @property
    def via_service(self) -> str | None: ...
    @property
    def resources(self) -> Sequence[str]: ...  # ARNs of the keys the call acted on
    @property
    def key_material_id(self) -> str | None: ...


@dataclass(slots=True)
class AuditRecord:
    """One call or service event: what its CloudTrail event shows, in compact fields.

    ``account_id`` is the caller's account (of a service event: the key's).
    """

    event_name: str
    when: _dt.datetime
    region: str
    account_id: str
    event_id: str
    principal: Principal | None = None  # None: AWS itself (a service event)
    access_key_id: str | None = None
    via_service: str | None = None
    request_id: str | None = None
    user_agent: str = ""
    request_parameters: dict[str, Any] | None = None
    response_elements: dict[str, Any] | None = None
    error: tuple[str, str | None] | None = None
    resources: tuple[str, ...] = ()
    key_material_id: str | None = None
    event_type: str = "AwsApiCall"
    service_details: dict[str, Any] | None = None
    injected: bool = False  # a fault rule answered (kms_mock only)

    @property
    def is_service_event(self) -> bool:
        """Whether AWS itself (not a caller) did this."""
        return self.event_type == "AwsServiceEvent"

    def to_event(self) -> dict[str, Any]:
        """The CloudTrail-shaped event."""
        service = self.is_service_event
        # The event as the account that owns the key the call used receives it.
        recipient = self.account_id if not self.resources else _account_of(self.resources[0])
        event: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": self._user_identity(recipient),
            "eventTime": _iso(self.when),
            "eventSource": EVENT_SOURCE,
            "eventName": self.event_name,
            "awsRegion": self.region,
            "sourceIPAddress": "AWS Internal" if service else "127.0.0.1",
            "userAgent": "AWS Internal" if service else self.user_agent,
            "requestParameters": self._request_parameters(),
            "responseElements": self._response_elements(),
            "eventID": self.event_id,
            "readOnly": not service and is_read_only(self.event_name),
            "resources": [
                {"accountId": _account_of(arn), "type": "AWS::KMS::Key", "ARN": arn}
                for arn in self.resources
            ],
            "eventType": self.event_type,
            "managementEvent": True,
            "recipientAccountId": recipient,
            "eventCategory": "Management",
        }
        if self.request_id is not None:
            event["requestID"] = self.request_id
        if self.error is not None:
            event["errorCode"] = self.error[0]
            event["errorMessage"] = self.error[1] or ""
        if self.key_material_id is not None:
            event["additionalEventData"] = {"keyMaterialId": self.key_material_id}
        if self.injected:
            # Not CloudTrail's: kms_mock's mark on an error a fault rule made up.
            event.setdefault("additionalEventData", {})[INJECTED_MARK] = True
        if self.service_details:
            event["serviceEventDetails"] = dict(self.service_details)
        return event

    def _user_identity(self, recipient: str) -> dict[str, Any]:
        principal = self.principal
        if principal is None:
            return {"accountId": self.account_id, "invokedBy": "AWS Internal"}
        identity: dict[str, Any]
        if principal.account_id != recipient:
            # What the key owner's trail shows of a caller from another account
            # ("AWSAccount" in CloudTrail's userIdentity reference).
            identity = {
                "type": "AWSAccount",
                "principalId": principal.principal_id,
                "accountId": principal.account_id,
            }
        else:
            identity = _identity_of(principal, self.access_key_id)
        if self.via_service is not None:
            # A service's forward access session: CloudTrail names the service.
            identity["invokedBy"] = self.via_service.split(".", 1)[0] + ".amazonaws.com"
        return identity

    def _request_parameters(self) -> dict[str, Any] | None:
        if self.request_parameters is None:
            return None
        shown: dict[str, Any] = _thawed(self.request_parameters)
        if self.event_name == "Decrypt":
            # CloudTrail names the algorithm of every Decrypt, given or not (the
            # Decrypt example in the AWS KMS Developer Guide's CloudTrail pages).
            shown.setdefault("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
        return shown

    def _response_elements(self) -> dict[str, Any] | None:
        shown: dict[str, Any] | None = _thawed(self.response_elements)
        return shown


def _account_of(arn: str) -> str:
    parsed = parse_kms_arn(arn)
    assert parsed is not None  # the ARN of a key the call found
    return parsed.account_id


def _identity_of(principal: Principal, access_key_id: str | None) -> dict[str, Any]:
    """userIdentity of ``principal`` as CloudTrail's userIdentity reference shapes it."""
    identity: dict[str, Any] = {
        "type": principal.kind,
        "principalId": principal.principal_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if access_key_id is not None:
        identity["accessKeyId"] = access_key_id
    if principal.kind == IAM_USER:
        identity["userName"] = principal.name
    elif principal.kind == ASSUMED_ROLE:
        # The session's issuer; when the session began, kms_mock does not know.
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": principal.role_principal_id,
                "arn": principal.role_arn,
                "accountId": principal.account_id,
                "userName": principal.role_name,
            },
            "attributes": {"mfaAuthenticated": "false"},
        }
    return identity


def _error_code(error: ServiceError) -> str:
    # CloudTrail records a denied call as "AccessDenied", not the API's exception name
    # (the AWS KMS Developer Guide's CloudTrail examples of denied requests).
    return "AccessDenied" if error.code == "AccessDeniedException" else error.code


def _event_time(record: AuditRecord) -> _dt.datetime:
    return record.when


class AuditLog:
    """The records of one mock activation, by event time, at most ``limit`` of them."""

    def __init__(self, entropy: Entropy, limit: int | None = DEFAULT_AUDIT_LOG_LIMIT) -> None:
        self._entropy = entropy
        self.limit = limit
        #: How many of the earliest records were dropped to keep within ``limit``.
        self.dropped = 0
        self._records: deque[AuditRecord] = deque()
        self._strings: dict[str, str] = {}
        # The records added since a state file last wrote them (None: no state file).
        self.journal: list[AuditRecord] | None = None
        # Whether a record arrived after later ones since the state file last wrote: the
        # file drops its earliest rows by arrival, so it must be written again whole.
        self.journal_out_of_order = False

    @property
    def records(self) -> deque[AuditRecord]:
        """Every record kept, by event time (ties in order of arrival)."""
        return self._records

    def new_event_id(self) -> str:
        """A fresh eventID (a call learns its own before it is recorded)."""
        return self._entropy.uuid4()

    def api_call(
        self,
        request: AuditedCall,
        params: Any,
        response: dict[str, Any] | None,
        error: ServiceError | None,
    ) -> None:
        """Record one API call, successful or not, as CloudTrail shows it.

        Nothing of ``params`` (the request as sent) or ``response`` is kept but
        the members CloudTrail shows, copied.
        """
        plan = _plan(request.operation)
        shown_response = None
        if plan.response is not None and response is not None and error is None:
            shown_response = plan.response(response)
            if request.resources and "keyId" not in shown_response:
                # CloudTrail names the key even where the API response does not
                # (https://docs.aws.amazon.com/kms/latest/developerguide/ct-creategrant.html).
                shown_response = {**shown_response, "keyId": request.resources[0]}
        self._add(
            AuditRecord(
                event_name=plan.name,
                when=request.now,
                region=self._shared(request.region),
                account_id=request.account_id,
                event_id=request.event_id,
                principal=request.principal,
                access_key_id=request.access_key_id,
                via_service=request.via_service,
                request_id=request.request_id,
                user_agent=self._shared(request.user_agent),
                request_parameters=self._shared_members(plan.request(params)),
                response_elements=shown_response,
                error=None
                if error is None
                else (_error_code(error), plan.recorded_message(error.message, params)),
                resources=tuple(request.resources),
                key_material_id=request.key_material_id,
                injected=error is not None and error.injected,
            )
        )

    def service_event(
        self,
        event_name: str,
        when: _dt.datetime,
        *,
        region: str,
        account_id: str,
        key_arn: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record something AWS did by itself, dated ``when`` (its scheduled time)."""
        self._add(
            AuditRecord(
                event_name=event_name,
                when=when,
                region=region,
                account_id=account_id,
                event_id=self._entropy.uuid4(),
                resources=(key_arn,),
                event_type="AwsServiceEvent",
                service_details=details,
            )
        )

    def events(self) -> list[dict[str, Any]]:
        """The CloudTrail-shaped events, by event time."""
        return [record.to_event() for record in self._records]

    def restore(self, records: list[AuditRecord], dropped: int) -> None:
        """Hold ``records`` (by event time, as a state file saved them) and the dropped count."""
        self._records.extend(records)
        self.dropped = dropped
        while self.limit is not None and len(self._records) > self.limit:
            self._records.popleft()
            self.dropped += 1

    def _add(self, record: AuditRecord) -> None:
        if self.journal is not None:
            self.journal.append(record)
        records = self._records
        if records and record.when < records[-1].when:
            # Dated before the newest record: a call that let go of the lock to
            # generate a key pair while the clock moved on, or a system clock
            # set back (freezegun). Rare, so inserting in O(n) is fine.
            bisect.insort_right(records, record, key=_event_time)
            if self.journal is not None and self.limit is not None:
                self.journal_out_of_order = True
        else:
            records.append(record)
        if self.limit is not None and len(records) > self.limit:
            records.popleft()
            self.dropped += 1

    def _shared(self, text: str) -> str:
        shared = self._strings.get(text)
        if shared is None:
            if len(self._strings) >= _SHARED_STRINGS:
                self._strings.clear()
            shared = self._strings[text] = text
        return shared

    def _shared_members(self, rendered: Any) -> dict[str, Any] | None:
        # A request that is not a JSON object (refused as such) shows nothing.
        # Its strings (the key id of every call on a key) are kept once.
        if rendered is _LEFT_OUT:
            return None
        shown: dict[str, Any] = rendered
        for name, value in shown.items():
            if type(value) is str:
                shown[name] = self._shared(value)
        return shown
