"""The policy engine: who may call what, from key policies, identity policies and grants.

Pure and self-contained: texts and values in, a decision out; it knows nothing
of requests, the store or botocore. ``documents`` parses and compiles policies
(once per text), ``conditions`` holds the condition operators, ``principals``
the callers and Principal elements, ``evaluation`` the decision and AWS's
AccessDeniedException messages.
"""

from __future__ import annotations

from .conditions import ContextValue, LowerCaseContext
from .documents import Policy, compile_policy
from .evaluation import (
    ALLOWED,
    Decision,
    KeyRef,
    Reason,
    access_denied_message,
    evaluate,
    identity_decision,
    keeps_put_key_policy,
)
from .principals import Caller, caller

__all__ = [
    "ALLOWED",
    "Caller",
    "ContextValue",
    "Decision",
    "KeyRef",
    "LowerCaseContext",
    "Policy",
    "Reason",
    "access_denied_message",
    "caller",
    "compile_policy",
    "evaluate",
    "identity_decision",
    "keeps_put_key_policy",
]
