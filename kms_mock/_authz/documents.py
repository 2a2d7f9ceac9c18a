"""Policy documents: parsed and compiled once per text.

A key policy and an IAM identity policy share one grammar (IAM JSON policy
reference; AWS KMS Developer Guide, "Key policy format"): ``Version``, ``Id``
and ``Statement``, an object or a list of ``Sid``, ``Effect``,
``Principal``/``NotPrincipal``, ``Action``/``NotAction``, ``Resource``/
``NotResource`` and ``Condition``. A statement without an action or a resource
"has no effect" (botocore's PutKeyPolicyRequest ``Policy`` documentation), so
it is kept out of the compiled policy, as are statements whose Effect or
condition operator is not one IAM knows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .._errors import MalformedPolicyDocumentException
from .conditions import Condition, Context, compile_conditions
from .elements import Patterns, as_list
from .principals import Caller, Named, PrincipalSet, principal_set

INVALID_JSON = "Policy contains invalid JSON."
NO_STATEMENT = "Policy contains a statement with no Statement."


@dataclass(frozen=True, slots=True)
class Statement:
    """One effective statement, compiled."""

    allow: bool
    principals: PrincipalSet | None  # None: no Principal element (identity policies)
    not_principal: bool
    actions: Patterns  # lower case
    not_action: bool
    resources: Patterns
    not_resource: bool
    conditions: tuple[Condition, ...]

    def names(self, caller: Caller) -> Named:
        """How the statement's Principal (or NotPrincipal) names ``caller``."""
        if self.principals is None:
            return Named.NOT
        if self.not_principal:
            return Named.NOT if self.principals.excludes(caller) else Named.CALLER
        return self.principals.names(caller)

    def applies(self, action: str, resource: str, context: Context) -> bool:
        """Whether the statement covers ``action`` (lower case) on ``resource`` in ``context``."""
        return (
            self.actions.match(action) != self.not_action
            and self.resources.match(resource) != self.not_resource
            and all(condition.holds(context) for condition in self.conditions)
        )


@dataclass(frozen=True, slots=True)
class Policy:
    """A compiled policy document: its effective statements, in document order."""

    statements: tuple[Statement, ...]


def _strings(value: Any) -> list[str]:
    return [item for item in as_list(value) if isinstance(item, str)]


def _either(raw: dict[str, Any], name: str) -> tuple[Any, bool] | None:
    """The element ``name`` or ``Not<name>`` of a statement, and whether it is the Not form."""
    if name in raw:
        return raw[name], False
    if f"Not{name}" in raw:
        return raw[f"Not{name}"], True
    return None


def _statement(raw: dict[str, Any]) -> Statement | None:
    conditions = compile_conditions(raw.get("Condition"))
    actions = _either(raw, "Action")
    resources = _either(raw, "Resource")
    effect = raw.get("Effect")
    if (
        conditions is None
        or actions is None
        or resources is None
        or effect not in {"Allow", "Deny"}
    ):
        return None
    principals = _either(raw, "Principal")
    return Statement(
        allow=effect == "Allow",
        principals=None if principals is None else principal_set(principals[0]),
        not_principal=principals is not None and principals[1],
        actions=Patterns(action.lower() for action in _strings(actions[0])),
        not_action=actions[1],
        resources=Patterns(_strings(resources[0])),
        not_resource=resources[1],
        conditions=conditions,
    )


def _raw_statements(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser's stack, as "[" * 1000 can be.
        raise MalformedPolicyDocumentException(INVALID_JSON) from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not statements or not all(isinstance(s, dict) for s in as_list(statements)):
        raise MalformedPolicyDocumentException(NO_STATEMENT)
    return as_list(statements)


@lru_cache(maxsize=4096)
def compile_policy(text: str) -> Policy:
    """The compiled policy of ``text``; a text many keys share is compiled once.

    Raises MalformedPolicyDocumentException as KMS does when the policy is written.
    """
    compiled = (_statement(raw) for raw in _raw_statements(text))
    return Policy(tuple(statement for statement in compiled if statement is not None))
