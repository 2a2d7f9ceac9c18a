"""The checks every setting of ``mock_kms`` passes, shared with the pytest plugin.

Kept apart from the mock itself so that the plugin can check a marker or an
ini option without importing botocore: a suite that never touches KMS pays
nothing for it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Mapping

from ._clock import Clock
from ._errors import UsageError

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_AUDIT_LOG_LIMIT = 10_000

#: How AWS names a Region (us-east-1, us-gov-west-1, us-isob-east-1).
REGION_NAME = re.compile(r"([a-z]+-){2,3}\d+")
_ACCOUNT = re.compile(r"\d{12}")


def check_region(region: object) -> str:
    """``region`` if it is an AWS region name."""
    if not isinstance(region, str) or REGION_NAME.fullmatch(region) is None:
        raise UsageError(f"region={region!r} is not an AWS region name such as 'us-east-1'.")
    return region


def check_account_id(account_id: object) -> str:
    """``account_id`` if it is 12 digits, as a string."""
    if not isinstance(account_id, str) or _ACCOUNT.fullmatch(account_id) is None:
        raise UsageError(
            f"account_id={account_id!r} is not an AWS account id: use 12 digits, "
            "as a string, such as '123456789012'."
        )
    return account_id


def check_seed(seed: object) -> int | None:
    """``seed`` if it is an int or None."""
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise UsageError(f"seed={seed!r} must be an int (or None for OS randomness).")
    return seed


def check_audit_log_limit(limit: object) -> int | None:
    """``limit`` if it is an int >= 1 or None."""
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise UsageError(
            f"audit_log_limit={limit!r} must be an int >= 1 (the number of audit log records "
            "kept; the oldest are dropped), or None to keep every record."
        )
    return limit


def check_request_quotas(quotas: object) -> dict[str, float] | None:
    """``quotas`` as {quota name: requests per second}: True gives AWS's defaults ({}),
    False or None none; the names are checked when the mock is made."""
    if quotas is None or quotas is False:
        return None
    if quotas is True:
        return {}
    if isinstance(quotas, Mapping) and all(
        isinstance(name, str)
        and isinstance(rate, int | float)
        and not isinstance(rate, bool)
        and rate > 0
        for name, rate in quotas.items()
    ):
        return {name: float(rate) for name, rate in quotas.items()}
    raise UsageError(
        f"request_quotas={quotas!r} must be True (AWS's default request quotas), False or "
        "None (no quotas), or a dict of quota names to requests per second, such as "
        "{'CreateKey': 1}, over the defaults."
    )


def check_clock(clock: object) -> Clock | None:
    """``clock`` if it is None or tells the time as a clock must (see ``kms_mock.Clock``)."""
    if clock is None:
        return None
    if isinstance(clock, str | _dt.datetime):
        raise UsageError(
            f"clock={clock!r} is a time, not a clock: pass FrozenClock({clock!r}) for a "
            "clock that stands still there until the test moves it."
        )
    # Not isinstance(clock, Clock): a protocol check costs microseconds.
    if not callable(getattr(clock, "now", None)):
        raise UsageError(
            f"clock={clock!r} is not a clock: pass a FrozenClock, a SystemClock, or an "
            "object with a now() method returning a timezone-aware datetime (the "
            "kms_mock.Clock protocol)."
        )
    try:
        when = clock.now()  # type: ignore[attr-defined]
    except TypeError as error:  # a now() that wants arguments: the mock would fail at start()
        raise _uncallable_now(clock, error) from None
    if not isinstance(when, _dt.datetime) or when.tzinfo is None:
        raise UsageError(
            f"clock={clock!r} is not a clock: its now() returned {when!r}, where a "
            "timezone-aware datetime (such as datetime.now(timezone.utc)) is needed."
        )
    return clock  # type: ignore[return-value]


def _uncallable_now(clock: object, error: TypeError) -> UsageError:
    if isinstance(clock, type):
        # A clock class (FrozenClock, not FrozenClock()): now() wants its instance.
        return UsageError(
            f"clock={clock!r} is a class, not a clock: pass an instance of it, "
            f"such as {clock.__name__}()."
        )
    return UsageError(
        f"clock={clock!r} is not a clock: calling its now() raised TypeError: {error} "
        "(a clock's now() takes no arguments and returns a timezone-aware datetime)."
    )


def check_enforce_permissions(enforce: object) -> bool:
    """``enforce`` if it is a bool."""
    if not isinstance(enforce, bool):
        raise UsageError(
            f"enforce_permissions={enforce!r} must be True (policies and grants decide each "
            "call) or False (every call is allowed)."
        )
    return enforce


def check_state_read_only(read_only: object) -> bool:
    """``read_only`` if it is a bool."""
    if not isinstance(read_only, bool):
        raise UsageError(
            f"state_read_only={read_only!r} must be True (load the state file, never write "
            "to it) or False."
        )
    return read_only


def check_state(state: object, read_only: object) -> tuple[str | None, bool]:
    """``state`` (a path, as a string) and ``read_only``, if they say where a state file is."""
    read_only = check_state_read_only(read_only)
    if state is None:
        if read_only:
            raise UsageError(
                "state_read_only=True needs a state file to read: pass state='path/to/file.db' too."
            )
        return None, False
    if not isinstance(state, str | os.PathLike) or not os.fspath(state):
        raise UsageError(
            f"state={state!r} must be the path of a state file (a str or a pathlib.Path), "
            "such as 'kms-state.db', or None to keep the state in memory only."
        )
    return os.fsdecode(state), read_only


#: The methods of ``kms.faults`` that add a rule (the ``kms_fault`` marker and the
#: server's fault route name them).
RULE_KINDS = ("error", "connection_error", "read_timeout", "delay")
