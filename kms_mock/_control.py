"""The server's control routes: what a test does with its handle, over HTTP.

Under a reserved path that no KMS request uses, a script (or ``kms-mock clock``,
``kms-mock faults``) reads and moves the mock's clock, empties its state, reads
its audit log and a key's material versions, and adds and removes fault rules.
Each route takes the handle, the query and the JSON body, and gives a status and
a JSON document (or, for the audit log, JSON lines); a misuse is a
:class:`UsageError` whose message the caller sees.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import inspect
import itertools
import json
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ._clock import parse_instant
from ._errors import UsageError
from ._faults import FaultRule
from ._settings import RULE_KINDS

if TYPE_CHECKING:
    from ._mock import MockKMS

#: The path every control route starts with: never a KMS path (KMS serves ``/``).
CONTROL_PREFIX = "/_kms_mock/"

JSON = "application/json"
JSON_LINES = "application/x-ndjson"

#: The audit-log route's header that counts the records dropped.
AUDIT_LOG_DROPPED = "X-Kms-Mock-Audit-Log-Dropped"

#: What ``clock/advance`` accepts, as ``Clock.advance`` does.
ADVANCE_UNITS = ("days", "hours", "minutes", "seconds")


@dataclasses.dataclass(frozen=True, slots=True)
class ControlAnswer:
    """A control route's answer: HTTP status, content type, body."""

    status: int
    content_type: str
    body: bytes
    #: The methods the route answers, when it was asked with another (HTTP's Allow header).
    allow: str | None = None
    #: Headers of the route's own.
    headers: tuple[tuple[str, str], ...] = ()


Route = Callable[["MockKMS", dict[str, list[str]], Any], ControlAnswer]


def utc_text(when: _dt.datetime) -> str:
    """An instant as ISO-8601 UTC with a ``Z``, as AWS's documentation writes them."""
    return when.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")


def _json(document: object, status: int = 200) -> ControlAnswer:
    return ControlAnswer(status, JSON, json.dumps(document, default=_jsonable).encode())


def _jsonable(value: object) -> object:
    if isinstance(value, _dt.datetime):
        return utc_text(value)
    raise TypeError(f"cannot put {type(value).__name__} in a control answer")


def _clock_document(kms: MockKMS) -> dict[str, str]:
    return {"now": utc_text(kms.clock.now()), "clock": repr(kms.clock)}


def health(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``GET health``: 200 while the mock serves (for container health checks)."""
    return _json({"status": "ok", "region": kms.region, "account_id": kms.account_id})


def read_clock(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``GET clock``: where the mock's clock stands."""
    return _json(_clock_document(kms))


def _movable(kms: MockKMS, verb: str) -> Any:
    method = getattr(kms.clock, verb, None)
    if not callable(method):
        raise UsageError(
            f"this server's clock ({kms.clock!r}) has no {verb}(); it cannot be moved."
        )
    return method


def advance_clock(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``POST clock/advance`` with ``{"days": 365}`` (also hours, minutes, seconds)."""
    amounts = _object(body, "clock/advance", "{'days': 365}")
    unknown = sorted(set(amounts) - set(ADVANCE_UNITS))
    if unknown or not amounts:
        raise UsageError(
            f"clock/advance takes an amount of {', '.join(ADVANCE_UNITS)} "
            f"(such as {{'days': 365}}), not {amounts!r}."
        )
    _movable(kms, "advance")(**amounts)
    return _json(_clock_document(kms))


def move_clock(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``POST clock/move-to`` with ``{"instant": "2030-01-01T00:00:00Z"}`` (not earlier than now).

    A system clock, which has no ``move_to``, is advanced by the difference.
    """
    document = _object(body, "clock/move-to", "{'instant': '2030-01-01T00:00:00Z'}")
    if set(document) != {"instant"}:
        raise UsageError(
            f"clock/move-to takes {{'instant': <ISO-8601 date-time>}}, not {document!r}."
        )
    instant = parse_instant(document["instant"])
    move_to = getattr(kms.clock, "move_to", None)
    if callable(move_to):
        move_to(instant)
    else:
        _movable(kms, "advance")(instant - kms.clock.now())
    return _json(_clock_document(kms))


def reset(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``POST reset``: empty state (keys, aliases, audit log); the clock stays put."""
    kms.reset()
    return _json(_clock_document(kms))


def audit_log(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``GET audit-log``: every CloudTrail-shaped record, one JSON document a line.

    The ``X-Kms-Mock-Audit-Log-Dropped`` header counts the earliest records dropped to
    stay within the limit (``kms.audit_log_dropped``): JSON lines have no room for it.
    """
    lines = "".join(json.dumps(event) + "\n" for event in kms.audit_log)
    dropped = (AUDIT_LOG_DROPPED, str(kms.audit_log_dropped))
    return ControlAnswer(200, JSON_LINES, lines.encode(), headers=(dropped,))


def key_materials(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``GET key-materials?KeyId=<key id or ARN>``: a key's material versions, oldest first."""
    key_ids = query.get("KeyId", [])
    if len(key_ids) != 1:
        raise UsageError("key-materials takes one KeyId: key-materials?KeyId=<key id or key ARN>.")
    versions = kms.key_materials(key_ids[0])
    return _json([dataclasses.asdict(version) for version in versions])


# The ids the server gives fault rules (those added in Python too, when first
# listed): a rule lives as long as its activation, and its id with it.
_rule_ids: weakref.WeakKeyDictionary[FaultRule, int] = weakref.WeakKeyDictionary()
_next_rule_id = itertools.count(1)
_rule_ids_lock = threading.Lock()


def _rule_id(rule: FaultRule) -> int:
    with _rule_ids_lock:
        number = _rule_ids.get(rule)
        if number is None:
            number = _rule_ids[rule] = next(_next_rule_id)
    return number


def _rule_document(rule: FaultRule) -> dict[str, Any]:
    return {"id": _rule_id(rule), "rule": rule.description, "fired": rule.fired}


def _rules_document(kms: MockKMS) -> ControlAnswer:
    return _json({"rules": [_rule_document(rule) for rule in kms.faults.rules]})


def list_faults(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``GET faults``: the fault rules in force, oldest first: id, the call that made it, fired."""
    return _rules_document(kms)


def add_fault(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``POST faults`` with ``{"kind": "error", "code": "ThrottlingException", "times": 2}``.

    ``kind`` names the method of ``kms.faults`` and the other members are its
    keyword arguments (a ``when`` predicate cannot travel). Answers the new rule.
    """
    arguments = dict(_object(body, "faults", "{'kind': 'error', 'code': 'ThrottlingException'}"))
    kind = arguments.pop("kind", None)
    if kind not in RULE_KINDS:
        raise UsageError(
            f"faults: 'kind' names the rule to add: one of {', '.join(RULE_KINDS)} (not {kind!r})."
        )
    if "when" in arguments:
        raise UsageError(
            "faults: a 'when' predicate cannot travel over HTTP: match the calls by operation "
            "and key (or add the rule in Python)."
        )
    add = getattr(kms.faults, kind)
    parameters = {
        name: parameter
        for name, parameter in inspect.signature(add).parameters.items()
        if name != "when"
    }
    taken = ", ".join(parameters)
    unknown = sorted(set(arguments) - set(parameters))
    if unknown:
        raise UsageError(f"faults: {kind} takes {taken}; not {', '.join(unknown)}.")
    missing = [
        name
        for name, parameter in parameters.items()
        if parameter.default is parameter.empty and name not in arguments
    ]
    if missing:
        raise UsageError(f"faults: {kind} needs {', '.join(missing)} (it takes {taken}).")
    return _json(_rule_document(add(**arguments)))


def remove_faults(kms: MockKMS, query: dict[str, list[str]], body: Any) -> ControlAnswer:
    """``DELETE faults?id=<id>`` removes one rule, ``DELETE faults`` every one; answers the rest."""
    if "id" not in query:
        kms.faults.clear()
        return _rules_document(kms)
    given = query["id"]
    if len(given) != 1 or not given[0].isdigit():
        raise UsageError("faults?id= takes the id of one rule, as GET faults lists them.")
    rules = {_rule_id(rule): rule for rule in kms.faults.rules}
    rule = rules.get(int(given[0]))
    if rule is None:
        known = ", ".join(str(number) for number in rules) or "none"
        raise UsageError(f"no fault rule {given[0]} on this server; its rules' ids: {known}.")
    rule.remove()
    return _rules_document(kms)


def _object(body: Any, route: str, example: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise UsageError(f"{route} takes a JSON object such as {example}.")
    return body


#: Every route: (method, path after CONTROL_PREFIX) -> what answers it.
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "health"): health,
    ("GET", "clock"): read_clock,
    ("POST", "clock/advance"): advance_clock,
    ("POST", "clock/move-to"): move_clock,
    ("POST", "reset"): reset,
    ("GET", "audit-log"): audit_log,
    ("GET", "key-materials"): key_materials,
    ("GET", "faults"): list_faults,
    ("POST", "faults"): add_fault,
    ("DELETE", "faults"): remove_faults,
}


def answer(kms: MockKMS, method: str, route: str, query: str, body: bytes) -> ControlAnswer:
    """The answer of control route ``route`` (the path after the prefix) to one request."""
    handler = ROUTES.get((method, route))
    if handler is None:
        return _no_route(method, route)
    try:
        document = json.loads(body) if body else None
    except (ValueError, RecursionError):  # nested deeper than the parser goes: not JSON to us
        return _json({"error": f"{route} takes a JSON body; this one is not JSON."}, 400)
    try:
        return handler(kms, parse_qs(query), document)
    except UsageError as error:
        return _json({"error": str(error)}, 400)


def _no_route(method: str, route: str) -> ControlAnswer:
    methods = sorted(known for known, path in ROUTES if path == route)
    if methods:
        refused = _json({"error": f"{route} answers {' and '.join(methods)}, not {method}."}, 405)
        return dataclasses.replace(refused, allow=", ".join(methods))
    listed = ", ".join(f"{known} {CONTROL_PREFIX}{path}" for known, path in ROUTES)
    return _json({"error": f"no control route {CONTROL_PREFIX}{route}; the routes: {listed}."}, 404)
