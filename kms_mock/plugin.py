"""The pytest plugin: fixtures, the ``kms_mock`` marker and ini options.

Registered through the ``pytest11`` entry point ``kms_mock``, so an installed
kms_mock needs no conftest (``-p no:kms_mock`` turns it off). Settings are
merged broad to narrow, the narrowest winning: built-in defaults, ini options,
the ``kms_mock_config`` fixture, then the marker on the module, the class and
the function; ``None`` restores a default. This is the only module of the
package that imports pytest.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from ._clock import Clock, FrozenClock, parse_instant
from ._errors import UsageError as KmsMockUsageError
from ._settings import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AUDIT_LOG_LIMIT,
    DEFAULT_REGION,
    RULE_KINDS,
    check_account_id,
    check_audit_log_limit,
    check_enforce_permissions,
    check_region,
    check_request_quotas,
    check_seed,
    check_state,
    check_state_read_only,
)

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef
    from responses import RequestsMock

    from ._faults import Faults
    from ._mock import MockKMS
    from .server import KmsServer

# Loaded by pytest in every run, used or not: this module imports no botocore,
# boto3 or cryptography at start (the fixtures do, when a test asks for them).

__all__ = ["KmsKeyFactory"]

#: Every setting the marker, ``kms_mock_config`` and the ini options know.
KEYWORDS = (
    "region",
    "account_id",
    "start",
    "seed",
    "audit_log_limit",
    "request_quotas",
    "assert_all_faults_fired",
    "enforce_permissions",
    "identity_policies",
    "state",
    "state_read_only",
)
#: The settings an ini option can give (policies are no one-line text).
INI_KEYWORDS = tuple(name for name in KEYWORDS if name != "identity_policies")
#: Where the fixture clock starts when no ``start`` is configured: a fixed date,
#: so that dates in a test's assertions do not depend on when it runs.
DEFAULT_START = "2025-01-01T00:00:00Z"

_INI_HELP = {
    "region": "kms_mock: region of the fixtures' mock (default: us-east-1).",
    "account_id": "kms_mock: account id owning the fixtures' keys (default: 123456789012).",
    "start": (
        "kms_mock: ISO-8601 start of the fixtures' clock; when set, every test's mock "
        "runs on a FrozenClock (default: 2025-01-01T00:00:00Z for kms_clock, "
        "the system clock otherwise)."
    ),
    "seed": "kms_mock: int seed making key ids, material and nonces reproducible.",
    "audit_log_limit": (
        "kms_mock: how many audit log records each test's mock keeps (default: 10000)."
    ),
    "request_quotas": (
        "kms_mock: true to throttle as AWS's request quotas do, on the mock clock (default: false)."
    ),
    "assert_all_faults_fired": (
        "kms_mock: true to fail a test whose fault rules did not all fire (default: false)."
    ),
    "enforce_permissions": (
        "kms_mock: whether key policies, identity policies and grants decide each call "
        "(true or false; default: true)."
    ),
    "state": (
        "kms_mock: a state file (SQLite) each test's mock starts from and writes to "
        "(see state_read_only; default: none, state in memory)."
    ),
    "state_read_only": (
        "kms_mock: true to start each test's mock from the state file and never write to it "
        "(default: false)."
    ),
}
_MARKER_HELP = (
    "kms_mock(region=..., account_id=..., start=..., seed=..., audit_log_limit=..., "
    "request_quotas=..., assert_all_faults_fired=..., enforce_permissions=..., "
    "identity_policies=..., state=..., state_read_only=...): run the test inside "
    "a fresh kms_mock, with these settings over the suite's (kms_mock_config, ini)."
)
_FAULT_MARKER_HELP = (
    "kms_fault(kind, *args, **filters): before the test runs, add the fault rule "
    "kms_mock.faults.<kind>(*args, **filters); kind is error, connection_error, read_timeout "
    "or delay (several markers: several rules, top first)."
)

_ini_settings = pytest.StashKey[dict[str, Any]]()


def _allowed(noun: str) -> str:
    return f"The allowed {noun} are: {', '.join(KEYWORDS)}."


def _unknown(names: list[str], noun: str) -> str:
    import difflib  # only for this message

    parts = []
    for name in names:
        close = difflib.get_close_matches(name, KEYWORDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    plural = "s" if len(names) > 1 else ""
    return f"unknown {noun}{plural} {', '.join(parts)}"


# -- hooks ------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``kms_mock_*`` ini options, one per setting."""
    for name in INI_KEYWORDS:
        parser.addini(f"kms_mock_{name}", _INI_HELP[name], default="")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and check the ini options once, before any test runs."""
    config.addinivalue_line("markers", _MARKER_HELP)
    config.addinivalue_line("markers", _FAULT_MARKER_HELP)
    # Checked once, here: a bad ini value stops the run before any test starts.
    config.stash[_ini_settings] = _read_ini(config)


def _read_ini(config: pytest.Config) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for name in INI_KEYWORDS:
        raw = str(config.getini(f"kms_mock_{name}")).strip()
        if raw:
            if name in _INT_KEYWORDS:
                value: Any = _ini_int(name, raw)
            elif name in _BOOL_KEYWORDS:
                value = _ini_bool(name, raw)
            else:
                value = raw
            settings[name] = _validated(name, value, f"ini option kms_mock_{name}")
    return settings


# Ini options read as ints, and what to write instead of a value that is not one.
_INT_KEYWORDS = {
    "seed": "an integer such as 1234, or leave it unset for OS randomness",
    "audit_log_limit": "an integer such as 50000, or leave it unset for 10000",
}


# Ini options read as booleans.
_BOOL_KEYWORDS = (
    "request_quotas",
    "assert_all_faults_fired",
    "enforce_permissions",
    "state_read_only",
)


def _ini_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(
            f"ini option kms_mock_{name} = {raw!r} is not an int: use {_INT_KEYWORDS[name]}."
        ) from None


def _ini_bool(name: str, raw: str) -> bool:
    # pytest's own spelling of ini booleans.
    if raw.lower() in {"true", "1", "yes", "on"}:
        return True
    if raw.lower() in {"false", "0", "no", "off"}:
        return False
    raise pytest.UsageError(
        f"ini option kms_mock_{name} = {raw!r} is not a boolean: use true or false."
    )


# -- settings ---------------------------------------------------------------------


def _validated(name: str, value: Any, source: str) -> Any:
    """``value`` as the mock takes it; the mock's own check, naming where it came from."""
    __tracebackhide__ = True
    try:
        if name == "start":
            return parse_instant(value)
        if name == "region":
            check_region(value)
        elif name == "account_id":
            check_account_id(value)
        elif name == "seed":
            check_seed(value)
        elif name == "request_quotas":
            check_request_quotas(value)
        elif name == "assert_all_faults_fired":
            if not isinstance(value, bool):
                raise KmsMockUsageError(f"assert_all_faults_fired={value!r} must be True or False.")
        elif name == "enforce_permissions":
            check_enforce_permissions(value)
        elif name == "identity_policies":
            from ._callers import attached_policies  # compiles them: only when given

            attached_policies(value)
        elif name == "state":
            check_state(value, read_only=False)
        elif name == "state_read_only":
            check_state_read_only(value)
        else:
            check_audit_log_limit(value)
    except KmsMockUsageError as error:
        raise pytest.UsageError(f"{source}: {error}") from None
    return value


def _describe(mark: pytest.Mark) -> str:
    arguments = [repr(arg) for arg in mark.args]
    arguments += [f"{name}={value!r}" for name, value in mark.kwargs.items()]
    return f"@pytest.mark.kms_mock({', '.join(arguments)})"


def _marker_settings(mark: pytest.Mark, where: str) -> Mapping[str, Any]:
    __tracebackhide__ = True  # the message says it all: show the fixture's line only
    problems = []
    if mark.args:
        problems.append("the marker takes keyword arguments only")
    unknown = [name for name in mark.kwargs if name not in KEYWORDS]
    if unknown:
        problems.append(_unknown(unknown, "keyword"))
    if problems:
        raise pytest.UsageError(
            f"{_describe(mark)} on {where}: {'; '.join(problems)}. {_allowed('keywords')}"
        )
    return mark.kwargs


def _config_settings(config: object) -> Mapping[str, Any]:
    __tracebackhide__ = True
    if not isinstance(config, Mapping):
        raise pytest.UsageError(
            f"kms_mock_config returned {config!r}: it must return a dict such as "
            f"{{'region': 'eu-west-1'}}. {_allowed('keys')}"
        )
    unknown = [str(name) for name in config if name not in KEYWORDS]
    if unknown:
        raise pytest.UsageError(
            f"kms_mock_config returned {dict(config)!r}: {_unknown(unknown, 'key')}. "
            f"{_allowed('keys')}"
        )
    return config


def _settings(request: pytest.FixtureRequest, config: object) -> dict[str, Any]:
    __tracebackhide__ = True
    ini: dict[str, Any] = request.config.stash[_ini_settings]
    settings = dict(ini)  # checked when the run started
    sources: dict[str, str] = {}
    for name, value in _config_settings(config).items():
        settings[name], sources[name] = value, "kms_mock_config"
    # iter_markers yields the closest first (function, class, module): apply
    # them in reverse, so that the narrowest marker is applied last and wins.
    markers = list(request.node.iter_markers_with_node("kms_mock"))
    for node, mark in reversed(markers):
        for name, value in _marker_settings(mark, node.nodeid).items():
            settings[name], sources[name] = value, f"{_describe(mark)} on {node.nodeid}"
    checked = {}
    for name, value in settings.items():
        if value is not None:
            checked[name] = _validated(name, value, sources[name]) if name in sources else value
    return checked


# -- fixtures ---------------------------------------------------------------------


@pytest.fixture
def kms_mock_config() -> dict[str, Any]:
    """kms_mock settings for the suite: {} here; override it in a conftest at any scope.

    One fixture configures a whole suite, directory or class in one place, such
    as ``{"region": "eu-west-1", "start": "2025-06-01T00:00:00Z"}``.
    """
    return {}


@pytest.fixture
def kms_mock(request: pytest.FixtureRequest, kms_mock_config: object) -> Iterator[MockKMS]:
    """The active KMS mock for this test, with fresh state: yields the MockKMS handle.

    Every KMS client is served while the test runs, whoever made it. The
    handle's ``region``, ``account_id`` and ``seed`` are the merged settings;
    ``kms_mock.clock`` is a ``FrozenClock`` when ``kms_clock`` is requested or
    ``start`` is configured, else the ``SystemClock``.
    """
    from ._mock import MockKMS

    settings = _settings(request, kms_mock_config)
    start: _dt.datetime | str | None = settings.get("start")
    clock: Clock | None = None
    # Whatever the order the test lists its fixtures in, kms_mock is set up
    # first (kms_clock depends on it), so it looks ahead at what was requested.
    if start is not None or "kms_clock" in request.fixturenames:
        clock = FrozenClock(DEFAULT_START if start is None else start)
    mock = MockKMS(
        region=settings.get("region", DEFAULT_REGION),
        account_id=settings.get("account_id", DEFAULT_ACCOUNT_ID),
        clock=clock,
        seed=settings.get("seed"),
        audit_log_limit=settings.get("audit_log_limit", DEFAULT_AUDIT_LOG_LIMIT),
        request_quotas=settings.get("request_quotas"),
        enforce_permissions=settings.get("enforce_permissions", True),
        identity_policies=settings.get("identity_policies"),
        state=settings.get("state"),
        state_read_only=settings.get("state_read_only", False),
    )
    with mock:
        _add_marked_faults(request, mock)
        yield mock
        if settings.get("assert_all_faults_fired"):
            mock.faults.assert_all_fired()


def _add_marked_faults(request: pytest.FixtureRequest, mock: MockKMS) -> None:
    """The rules of the test's ``kms_fault`` markers (module, class, function; top first)."""
    __tracebackhide__ = True
    # iter_markers yields the closest first, and a function's markers bottom first.
    for node, mark in reversed(list(request.node.iter_markers_with_node("kms_fault"))):
        kind, *args = mark.args or (None,)
        if kind not in RULE_KINDS:
            raise pytest.UsageError(
                f"@pytest.mark.kms_fault{mark.args!r} on {node.nodeid}: the first argument "
                f"names the rule to add: one of {', '.join(RULE_KINDS)}, as in "
                "@pytest.mark.kms_fault('error', 'ThrottlingException', operation='Decrypt')."
            )
        try:
            getattr(mock.faults, kind)(*args, **mark.kwargs)
        except (KmsMockUsageError, TypeError) as error:
            raise pytest.UsageError(f"@pytest.mark.kms_fault on {node.nodeid}: {error}") from None


@pytest.fixture
def kms_clock(kms_mock: MockKMS) -> FrozenClock:
    """A FrozenClock driving this test's mock, at 2025-01-01T00:00:00Z unless configured.

    Requesting it puts the test's mock on a frozen clock, whatever the order of
    the fixtures: ``kms_clock.advance(days=365)`` makes a year of due rotations
    happen, each on its date.
    """
    clock = kms_mock.clock
    if not isinstance(clock, FrozenClock):
        raise pytest.UsageError(
            "kms_clock was requested after this test's kms_mock had started on the "
            f"system clock ({clock!r}), through request.getfixturevalue: a running mock "
            "cannot change clocks. Name kms_clock as an argument of the test or of one "
            "of its fixtures, or configure start=..., so that the mock starts on a "
            "FrozenClock."
        )
    return clock


@pytest.fixture
def kms_server(kms_mock: MockKMS) -> Iterator[KmsServer]:
    """An HTTP endpoint serving this test's mock on a free port: ``kms_server.url``.

    For clients outside this process's botocore (the AWS CLI, another language's
    SDK, ``requests``): they see the same keys and clock as the test, whose own
    boto3 clients keep being served in-process. It stops when the test ends,
    passed or failed. Needs the ``server`` extra (waitress).
    """
    from .server import serve

    with serve(kms_mock) as server:
        yield server


@pytest.fixture
def kms_responses(kms_mock: MockKMS) -> Iterator[RequestsMock]:
    """A ``responses.RequestsMock`` whose KMS URLs this test's mock answers.

    ``requests`` calls to ``https://kms.<region>.amazonaws.com/`` (any partition,
    FIPS hosts) see the same keys and clock as the test's boto3 clients; register
    the test's other URLs on it as usual. As with ``@responses.activate``, unused
    registrations do not fail the test. Needs the ``responses`` extra.
    """
    import responses

    from .responses_transport import add_kms_callback

    with responses.RequestsMock(assert_all_requests_are_fired=False) as requests_mock:
        add_kms_callback(requests_mock, kms_mock)
        yield requests_mock


# One private session for the whole run: creating a session costs about 50 ms
# and a client from a warm one about 3 ms. Being private, it also leaves boto3's
# default session alone (a session keeps the credentials it first resolved).
_session: boto3.session.Session | None = None


@pytest.fixture
def kms_client(kms_mock: MockKMS) -> KMSClient:
    """A boto3 KMS client in the region of this test's mock.

    It comes from a private boto3 session, so boto3's default session (and the
    credentials it may have resolved) is left alone.
    """
    import boto3

    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session.client("kms", region_name=kms_mock.region)


class KmsKeyFactory:
    """What the ``kms_key`` fixture gives: call it to create a key in the test's mock.

    ``kms_key(rotation=True, rotation_period_days=90, alias="alias/app",
    **create_key_kwargs)`` creates a key (the keyword arguments go to
    ``CreateKey``), enables its automatic rotation unless ``rotation=False``,
    gives it ``alias`` unless that is None, and returns its ``KeyMetadata``.
    A second key in one test needs another alias or ``alias=None``: AWS refuses
    a duplicate alias. Annotate the fixture argument with this class.
    """

    def __init__(self, client: KMSClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"<KmsKeyFactory region={self.client.meta.region_name}>"

    def __call__(
        self,
        *,
        rotation: bool = True,
        rotation_period_days: int = 90,
        alias: str | None = "alias/app",
        **create_key_kwargs: Any,
    ) -> KeyMetadataTypeDef:
        """Create a key; returns its ``KeyMetadata`` as ``CreateKey`` answered it."""
        metadata = self.client.create_key(**create_key_kwargs)["KeyMetadata"]
        key_id = metadata["KeyId"]
        if rotation:
            self.client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=rotation_period_days)
        if alias is not None:
            self.client.create_alias(AliasName=alias, TargetKeyId=key_id)
        return metadata


@pytest.fixture
def kms_key(kms_client: KMSClient) -> KmsKeyFactory:
    """Factory: kms_key(rotation=True, rotation_period_days=90, alias="alias/app", **kwargs).

    See ``KmsKeyFactory`` for what each argument does; each call returns the new
    key's ``KeyMetadata``, so a test needs no CreateKey boilerplate.
    """
    return KmsKeyFactory(kms_client)


@pytest.fixture
def kms_faults(kms_mock: MockKMS) -> Faults:
    """The fault rules of this test's mock (``kms_mock.faults``): add rules to it.

    ``kms_faults.error("ThrottlingException", operation="Decrypt", times=2)``; the
    rules end with the test. See docs/faults.md.
    """
    return kms_mock.faults


@pytest.fixture(autouse=True)
def _kms_mock_marker(request: pytest.FixtureRequest) -> None:
    """The kms_mock (or kms_fault) marker alone activates the mock for the test it marks."""
    __tracebackhide__ = True
    node = request.node
    if node.get_closest_marker("kms_mock") is not None or node.get_closest_marker("kms_fault"):
        request.getfixturevalue("kms_mock")
