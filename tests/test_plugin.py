"""The pytest plugin: fixtures, marker, ini options, precedence, usage errors.

Most checks run a small suite with pytester, in process (fast); the ones that
depend on what a fresh process loads (``-p no:kms_mock``, pytest-xdist) run
in a subprocess. Every run loads the leak check of ``tests/leak_check.py``,
and this module checks the same after each of its own tests.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import boto3
import pytest

from kms_mock import FrozenClock, MockKMS, SystemClock, mock_kms
from kms_mock.plugin import KmsKeyFactory

from . import leak_check

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
KEYWORDS = (
    "region, account_id, start, seed, audit_log_limit, request_quotas, assert_all_faults_fired, "
    "enforce_permissions, identity_policies, state, state_read_only"
)
ALLOWED = f"The allowed keywords are: {KEYWORDS}."


@pytest.fixture(autouse=True)
def _interceptor_restored() -> Iterator[None]:
    yield
    assert leak_check.leaks() == []


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> _Runner:
    """Run pytest on the files made so far, in process unless asked otherwise."""
    return _Runner(pytester, leak_check.install(pytester, monkeypatch))


class _Runner:
    def __init__(self, pytester: pytest.Pytester, args: list[str]) -> None:
        self.pytester = pytester
        self.args = args

    def __call__(self, *args: str, subprocess: bool = False) -> pytest.RunResult:
        if subprocess:
            return self.pytester.runpytest_subprocess(*self.args, *args)
        return self.pytester.runpytest(*self.args, *args)


def _raised(result: pytest.RunResult, error: str = "pytest.UsageError") -> list[str]:
    """The messages of every ``error`` the run reported, in report order."""
    pattern = re.compile(rf"^E\s+{re.escape(error)}: (.*)$")
    return [match[1] for line in result.outlines if (match := pattern.match(line))]


# -- packaging: the entry point, and no pytest in `import kms_mock` ---------------------


def test_the_plugin_is_registered_under_the_name_kms_mock() -> None:
    plugins = {point.name: point.value for point in entry_points(group="pytest11")}
    assert plugins["kms_mock"] == "kms_mock.plugin"


def test_import_kms_mock_never_imports_pytest() -> None:
    code = textwrap.dedent(
        """
        import sys
        import kms_mock, kms_mock.cli
        unwanted = sorted(
            name for name in sys.modules
            if name.split(".")[0] in ("pytest", "_pytest", "pluggy") or name == "kms_mock.plugin"
        )
        print(unwanted, "kms_mock._interceptor" in sys.modules)
        """
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert answer.stdout == "[] True\n"


# -- fixtures ----------------------------------------------------------------------------


def test_fixtures(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixtures="""
        import datetime as dt

        import boto3
        import pytest

        from kms_mock import FrozenClock, MockKMS, SystemClock, _active

        START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


        def test_no_mock_unless_asked():
            assert _active.depth() == 0


        def test_kms_mock_is_the_active_handle(kms_mock):
            assert isinstance(kms_mock, MockKMS) and kms_mock.active
            assert _active.depth() == 1
            assert (kms_mock.region, kms_mock.account_id, kms_mock.seed) == (
                "us-east-1", "123456789012", None
            )
            assert isinstance(kms_mock.clock, SystemClock)


        @pytest.mark.parametrize("attempt", [1, 2, 3])
        def test_kms_mock_starts_empty_every_time(kms_mock, attempt):
            client = boto3.client("kms", region_name="us-east-1")
            assert client.list_keys()["Keys"] == []
            client.create_key()


        def test_kms_clock_drives_the_mock(kms_clock, kms_mock):
            assert isinstance(kms_clock, FrozenClock)
            assert kms_clock.now() == START
            assert kms_mock.clock is kms_clock


        def test_kms_clock_listed_last_still_drives_the_mock(kms_client, kms_mock, kms_clock):
            assert kms_mock.clock is kms_clock
            key = kms_client.create_key()["KeyMetadata"]
            assert key["CreationDate"] == START
            kms_client.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
            kms_clock.advance(days=365)
            rotations = kms_client.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
            assert len(rotations) == 4


        @pytest.fixture
        def a_year_later(kms_clock):
            return kms_clock.advance(days=365)


        def test_kms_clock_asked_for_by_a_fixture(kms_mock, a_year_later):
            assert kms_mock.clock.now() == a_year_later == START + dt.timedelta(days=365)


        def test_kms_client(kms_client, kms_mock):
            assert kms_client.meta.service_model.service_name == "kms"
            assert kms_client.meta.region_name == "us-east-1"
            kms_client.create_key()
            assert len(kms_mock.audit_log) == 1


        @pytest.mark.kms_mock(region="eu-west-1")
        def test_kms_client_in_the_mock_region(kms_client):
            assert kms_client.meta.region_name == "eu-west-1"
            arn = kms_client.create_key()["KeyMetadata"]["Arn"]
            assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")


        def test_kms_key_defaults(kms_key, kms_client):
            key = kms_key()
            assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT"
            status = kms_client.get_key_rotation_status(KeyId=key["KeyId"])
            assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)
            aliases = kms_client.list_aliases(KeyId=key["KeyId"])["Aliases"]
            assert [alias["AliasName"] for alias in aliases] == ["alias/app"]
            assert repr(kms_key) == "<KmsKeyFactory region=us-east-1>"


        def test_kms_key_arguments(kms_key, kms_client):
            plain = kms_key(rotation=False, alias=None, Description="plain")
            yearly = kms_key(rotation_period_days=365, alias="alias/yearly")
            assert plain["Description"] == "plain"
            status = kms_client.get_key_rotation_status(KeyId=plain["KeyId"])
            assert status["KeyRotationEnabled"] is False
            assert kms_client.list_aliases(KeyId=plain["KeyId"])["Aliases"] == []
            status = kms_client.get_key_rotation_status(KeyId=yearly["KeyId"])
            assert status["RotationPeriodInDays"] == 365
            assert kms_client.describe_key(KeyId="alias/yearly")["KeyMetadata"] == yearly


        def test_kms_mock_config_is_empty(kms_mock_config):
            assert kms_mock_config == {}
        """
    )
    run().assert_outcomes(passed=13)


def test_fixtures_are_documented(run: _Runner) -> None:
    lines = run("--fixtures").outlines
    documented = {
        name: lines[index + 1].strip()
        for index, line in enumerate(lines)
        if (name := line.split(" ")[0]).startswith("kms_") and "plugin.py:" in line
    }
    assert documented == {
        "kms_mock_config": (
            "kms_mock settings for the suite: {} here; override it in a conftest at any scope."
        ),
        "kms_mock": (
            "The active KMS mock for this test, with fresh state: yields the MockKMS handle."
        ),
        "kms_clock": (
            "A FrozenClock driving this test's mock, at 2025-01-01T00:00:00Z unless configured."
        ),
        "kms_client": "A boto3 KMS client in the region of this test's mock.",
        "kms_server": (
            "An HTTP endpoint serving this test's mock on a free port: ``kms_server.url``."
        ),
        "kms_key": (
            'Factory: kms_key(rotation=True, rotation_period_days=90, alias="alias/app", **kwargs).'
        ),
        "kms_faults": "The fault rules of this test's mock (``kms_mock.faults``): add rules to it.",
        "kms_responses": "A ``responses.RequestsMock`` whose KMS URLs this test's mock answers.",
    }


def test_marker_and_ini_options_are_registered(run: _Runner) -> None:
    markers = run("--markers").outlines
    assert (
        "@pytest.mark.kms_mock(region=..., account_id=..., start=..., seed=..., "
        "audit_log_limit=..., request_quotas=..., assert_all_faults_fired=..., "
        "enforce_permissions=..., identity_policies=..., state=..., state_read_only=...): "
        "run the test inside a fresh kms_mock, with these settings over the suite's "
        "(kms_mock_config, ini)." in markers
    )
    help_lines = run("--help").outlines
    for name in KEYWORDS.split(", "):
        if name == "identity_policies":  # no ini option: policies are no one-line text
            continue
        assert any(line.startswith(f"  kms_mock_{name} (string):") for line in help_lines)


def test_the_fixtures_in_this_suite(
    kms_key: KmsKeyFactory, kms_client: KMSClient, kms_clock: FrozenClock, kms_mock: MockKMS
) -> None:
    key = kms_key(rotation_period_days=180, Description="here")
    kms_clock.advance(days=360)
    assert len(kms_mock.key_materials(key["KeyId"])) == 3
    assert kms_client.describe_key(KeyId="alias/app")["KeyMetadata"]["Description"] == "here"


# -- the marker ----------------------------------------------------------------------------


def test_marker(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
        import datetime as dt
        import unittest

        import boto3
        import pytest

        from kms_mock import FrozenClock, _active


        @pytest.mark.kms_mock
        def test_the_marker_alone_activates_a_mock():
            assert _active.depth() == 1
            client = boto3.client("kms", region_name="us-east-1")
            assert client.list_keys()["Keys"] == []
            client.create_key()


        @pytest.mark.kms_mock(region="eu-west-1", account_id="111122223333", seed=7)
        def test_the_marker_settings(kms_mock):
            assert (kms_mock.region, kms_mock.account_id, kms_mock.seed) == (
                "eu-west-1", "111122223333", 7
            )


        @pytest.mark.kms_mock(start="2026-02-03T04:05:06Z")
        def test_a_start_freezes_the_clock(kms_mock):
            assert isinstance(kms_mock.clock, FrozenClock)
            assert kms_mock.clock.now() == dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


        @pytest.mark.kms_mock(start=dt.datetime(2027, 1, 1))
        def test_a_start_may_be_a_datetime(kms_clock):
            assert kms_clock.now() == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


        @pytest.mark.kms_mock
        def test_marker_and_fixtures_share_one_mock(kms_clock, kms_client, kms_mock):
            assert _active.depth() == 1
            assert kms_mock.clock is kms_clock


        @pytest.mark.kms_mock(region="ap-southeast-2")
        class TestMarkedClass:
            def test_one(self):
                assert _active.depth() == 1
                client = boto3.client("kms")
                assert client.meta.region_name == "ap-southeast-2"
                assert client.list_keys()["Keys"] == []
                client.create_key()

            def test_two(self):
                assert boto3.client("kms").list_keys()["Keys"] == []


        @pytest.mark.kms_mock(region="eu-north-1")
        class TestUnittest(unittest.TestCase):
            def test_served(self):
                client = boto3.client("kms", region_name="eu-north-1")
                self.assertEqual(client.list_keys()["Keys"], [])
        """,
        test_module_marker="""
        import boto3
        import pytest

        from kms_mock import _active

        pytestmark = pytest.mark.kms_mock(region="sa-east-1")


        def test_the_module_marker_activates_a_mock():
            assert _active.depth() == 1
            assert boto3.client("kms").create_key()["KeyMetadata"]["Arn"].startswith(
                "arn:aws:kms:sa-east-1:"
            )
        """,
    )
    run().assert_outcomes(passed=9)


# -- precedence: defaults < ini < kms_mock_config < module < class < function ----------------


def test_precedence(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        kms_mock_region = eu-west-1
        kms_mock_account_id = 111111111111
        kms_mock_start = 2030-01-01T00:00:00Z
        kms_mock_seed = 1
        """
    )
    pytester.makeconftest(
        """
        import datetime as dt

        import pytest

        from kms_mock import FrozenClock


        @pytest.fixture(scope="session")
        def kms_mock_config():
            return {"account_id": "222222222222", "seed": 2}


        @pytest.fixture
        def settings(kms_mock):
            clock = kms_mock.clock
            when = clock.now().year if isinstance(clock, FrozenClock) else "system"
            return kms_mock.region, kms_mock.account_id, kms_mock.seed, when
        """
    )
    pytester.makepyfile(
        test_suite="""
        def test_ini_then_config(settings):
            assert settings == ("eu-west-1", "222222222222", 2, 2030)


        def test_kms_clock_starts_at_the_configured_start(kms_clock):
            assert kms_clock.now().year == 2030
        """,
        test_markers="""
        import pytest

        pytestmark = pytest.mark.kms_mock(region="eu-central-1", seed=3)


        def test_module_marker(settings):
            assert settings == ("eu-central-1", "222222222222", 3, 2030)


        @pytest.mark.kms_mock(account_id="444444444444", seed=4)
        class TestClassMarker:
            def test_class_marker(self, settings):
                assert settings == ("eu-central-1", "444444444444", 4, 2030)

            @pytest.mark.kms_mock(seed=5, start="2031-01-01T00:00:00Z")
            def test_function_marker(self, settings):
                assert settings == ("eu-central-1", "444444444444", 5, 2031)

            @pytest.mark.kms_mock(region=None, seed=None, start=None)
            def test_none_restores_the_built_in_default(self, settings):
                assert settings == ("us-east-1", "444444444444", None, "system")

            @pytest.mark.kms_mock(seed=6)
            @pytest.mark.kms_mock(seed=7)
            def test_the_marker_nearest_the_function_wins(self, settings):
                assert settings[2] == 7
        """,
        test_config_overrides="""
        import pytest


        @pytest.fixture(scope="module")
        def kms_mock_config(kms_mock_config):
            return {**kms_mock_config, "region": "ap-south-1"}


        def test_module_override_extends_the_suite_config(settings):
            assert settings == ("ap-south-1", "222222222222", 2, 2030)


        @pytest.mark.kms_mock(region="us-west-2")
        def test_a_marker_still_wins(settings):
            assert settings == ("us-west-2", "222222222222", 2, 2030)


        class TestReplaced:
            @pytest.fixture
            def kms_mock_config(self):
                return {"start": "2032-01-01T00:00:00Z"}

            def test_an_override_replaces_unless_it_extends(self, settings):
                assert settings == ("eu-west-1", "111111111111", 1, 2032)
        """,
    )
    run().assert_outcomes(passed=10)


def test_audit_log_limit_from_ini_and_markers(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkms_mock_audit_log_limit = 2\n")
    pytester.makepyfile(
        test_limits="""
        import pytest


        def calls(client, count):
            for _ in range(count):
                client.list_keys()


        def test_ini(kms_mock, kms_client):
            calls(kms_client, 5)
            assert (len(kms_mock.audit_log), kms_mock.audit_log_dropped) == (2, 3)


        @pytest.mark.kms_mock(audit_log_limit=4)
        def test_marker(kms_mock, kms_client):
            calls(kms_client, 5)
            assert (len(kms_mock.audit_log), kms_mock.audit_log_dropped) == (4, 1)


        @pytest.mark.kms_mock(audit_log_limit=None)
        def test_none_restores_the_default(kms_mock, kms_client):
            calls(kms_client, 5)
            assert (len(kms_mock.audit_log), kms_mock.audit_log_dropped) == (5, 0)
        """
    )
    run("-p", "no:randomly").assert_outcomes(passed=3)


def test_permissions_from_ini_config_and_markers(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkms_mock_enforce_permissions = false\n")
    pytester.makeconftest(
        """
        import pytest

        ALICE = "arn:aws:iam::123456789012:user/Alice"
        LIST_KEYS = {"Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}


        @pytest.fixture
        def kms_mock_config():
            return {"identity_policies": {ALICE: [LIST_KEYS]}}


        @pytest.fixture
        def as_bob(kms_mock, kms_client):
            with kms_mock.as_principal("arn:aws:iam::123456789012:user/Bob"):
                yield kms_client
        """
    )
    pytester.makepyfile(
        test_permissions="""
        import pytest
        from botocore.exceptions import ClientError


        def test_ini_turns_enforcement_off(kms_mock, as_bob):
            assert kms_mock.enforce_permissions is False
            as_bob.list_keys()


        @pytest.mark.kms_mock(enforce_permissions=True)
        def test_the_marker_turns_it_on(as_bob):
            with pytest.raises(ClientError):
                as_bob.list_keys()


        @pytest.mark.kms_mock(enforce_permissions=True)
        def test_config_attaches_policies(kms_mock, kms_client):
            with kms_mock.as_principal("arn:aws:iam::123456789012:user/Alice"):
                kms_client.list_keys()
        """
    )
    run("-p", "no:randomly").assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "kms_mock_enforce_permissions = maybe",
            "ini option kms_mock_enforce_permissions = 'maybe' is not a boolean: use true or "
            "false.",
        ),
    ],
)
def test_a_bad_permissions_ini_option_stops_the_run(
    run: _Runner, pytester: pytest.Pytester, ini: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run()
    assert f"ERROR: {message}" in result.errlines


def test_a_malformed_identity_policy_in_a_marker_is_a_usage_error(
    run: _Runner, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest


        @pytest.mark.kms_mock(identity_policies={"arn:aws:iam::123456789012:user/A": ["{"]})
        def test_bad(kms_mock):
            pass
        """
    )
    result = run("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.kms_mock(identity_policies=*) on test_bad.py::test_bad: the identity "
            "policy for arn:aws:iam::123456789012:user/A is malformed: Policy contains invalid "
            "JSON."
        ]
    )


def test_built_in_defaults_without_configuration(kms_mock: MockKMS) -> None:
    assert (kms_mock.region, kms_mock.account_id, kms_mock.seed) == (
        "us-east-1",
        "123456789012",
        None,
    )
    assert isinstance(kms_mock.clock, SystemClock)


# -- usage errors, verbatim ------------------------------------------------------------------


def test_usage_errors(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_markers="""
        import pytest


        @pytest.mark.kms_mock(regoin="eu-west-1", seed=3)
        def test_typo():
            pass


        @pytest.mark.kms_mock("eu-west-1")
        def test_positional(kms_client):
            pass


        @pytest.mark.kms_mock(acount="111122223333", clock="frozen")
        class TestClass:
            def test_in_class(self):
                pass


        @pytest.mark.kms_mock(region="nowhere")
        def test_bad_region():
            pass


        @pytest.mark.kms_mock(start="yesterday")
        def test_bad_start():
            pass


        def test_kms_clock_asked_for_too_late(request, kms_mock):
            request.getfixturevalue("kms_clock")
        """,
        test_config_keys="""
        import pytest


        @pytest.fixture
        def kms_mock_config():
            return {"regoin": "eu-west-1", "sed": 1}


        def test_config_keys(kms_mock):
            pass
        """,
        test_config_type="""
        import pytest


        @pytest.fixture
        def kms_mock_config():
            return ["region", "eu-west-1"]


        def test_config_type(kms_mock):
            pass
        """,
        test_config_value="""
        import pytest


        @pytest.fixture
        def kms_mock_config():
            return {"seed": "7"}


        def test_config_value(kms_mock):
            pass
        """,
    )
    result = run("-p", "no:randomly")
    result.assert_outcomes(failed=1, errors=8)
    # The errors section (files in order) comes before the failures section.
    assert _raised(result) == [
        "kms_mock_config returned {'regoin': 'eu-west-1', 'sed': 1}: unknown keys 'regoin' "
        "(did you mean 'region'?), 'sed' (did you mean 'seed'?). "
        f"The allowed keys are: {KEYWORDS}.",
        "kms_mock_config returned ['region', 'eu-west-1']: it must return a dict such as "
        f"{{'region': 'eu-west-1'}}. The allowed keys are: {KEYWORDS}.",
        "kms_mock_config: seed='7' must be an int (or None for OS randomness).",
        "@pytest.mark.kms_mock(regoin='eu-west-1', seed=3) on test_markers.py::test_typo: "
        f"unknown keyword 'regoin' (did you mean 'region'?). {ALLOWED}",
        "@pytest.mark.kms_mock('eu-west-1') on test_markers.py::test_positional: "
        f"the marker takes keyword arguments only. {ALLOWED}",
        "@pytest.mark.kms_mock(acount='111122223333', clock='frozen') on "
        "test_markers.py::TestClass: unknown keywords 'acount' (did you mean "
        f"'account_id'?), 'clock'. {ALLOWED}",
        "@pytest.mark.kms_mock(region='nowhere') on test_markers.py::test_bad_region: "
        "region='nowhere' is not an AWS region name such as 'us-east-1'.",
        "@pytest.mark.kms_mock(start='yesterday') on test_markers.py::test_bad_start: "
        "'yesterday' is not an ISO-8601 date-time; use a form such as "
        "'2025-01-01T00:00:00Z'.",
        "kms_clock was requested after this test's kms_mock had started on the system "
        "clock (SystemClock(offset=0:00:00)), through request.getfixturevalue: a running "
        "mock cannot change clocks. Name kms_clock as an argument of the test or of one of "
        "its fixtures, or configure start=..., so that the mock starts on a FrozenClock.",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "kms_mock_seed = twelve",
            "ini option kms_mock_seed = 'twelve' is not an int: use an integer such as "
            "1234, or leave it unset for OS randomness.",
        ),
        (
            "kms_mock_region = Frankfurt",
            "ini option kms_mock_region: region='Frankfurt' is not an AWS region name such "
            "as 'us-east-1'.",
        ),
        (
            "kms_mock_account_id = 42",
            "ini option kms_mock_account_id: account_id='42' is not an AWS account id: use "
            "12 digits, as a string, such as '123456789012'.",
        ),
        (
            "kms_mock_audit_log_limit = lots",
            "ini option kms_mock_audit_log_limit = 'lots' is not an int: use an integer such "
            "as 50000, or leave it unset for 10000.",
        ),
        (
            "kms_mock_audit_log_limit = 0",
            "ini option kms_mock_audit_log_limit: audit_log_limit=0 must be an int >= 1 (the "
            "number of audit log records kept; the oldest are dropped), or None to keep every "
            "record.",
        ),
        (
            "kms_mock_start = soon",
            "ini option kms_mock_start: 'soon' is not an ISO-8601 date-time; use a form "
            "such as '2025-01-01T00:00:00Z'.",
        ),
    ],
)
def test_a_bad_ini_option_stops_the_run(
    run: _Runner, pytester: pytest.Pytester, line: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{line}\n")
    pytester.makepyfile("def test_never_runs(): pass")
    result = run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines == [f"ERROR: {message}", ""]


# -- -p no:kms_mock, pytest-xdist and random order: fresh processes ---------------------------


def test_p_no_kms_mock_disables_the_plugin(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_disabled="""
        import sys

        import pytest


        def test_nothing_of_kms_mock_is_loaded(request):
            assert not request.config.pluginmanager.has_plugin("kms_mock")
            assert not [name for name in sys.modules if name.startswith("kms_mock")]
            markers = request.config.getini("markers")
            assert not [line for line in markers if line.startswith("kms_mock")]


        def test_the_fixtures_are_gone(kms_client):
            pass


        @pytest.mark.kms_mock
        def test_the_marker_is_unknown():
            pass
        """
    )
    # No leak check here: it imports kms_mock.
    result = pytester.runpytest_subprocess(
        "-p", "no:kms_mock", "-p", "no:hypothesispytest", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=2, errors=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "E       fixture 'kms_client' not found",
            "*PytestUnknownMarkWarning: Unknown pytest.mark.kms_mock*",
        ]
    )


def test_isolated_under_xdist_in_random_order(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_isolation="""
        import os

        import boto3
        import pytest

        from kms_mock import mock_kms


        @pytest.mark.parametrize("n", range(8))
        def test_fixtures(n, kms_clock, kms_key, kms_client):
            assert os.environ["PYTEST_XDIST_WORKER"] in ("gw0", "gw1")
            assert kms_client.list_keys()["Keys"] == []
            for _ in range(n):
                kms_key(alias=None)
            assert len(kms_client.list_keys()["Keys"]) == n
            assert kms_clock.now().isoformat() == "2025-01-01T00:00:00+00:00"
            kms_clock.advance(days=n)


        @pytest.mark.parametrize("n", range(8))
        @pytest.mark.kms_mock(seed=99)
        def test_seeded_marker(n):
            client = boto3.client("kms", region_name="us-east-1")
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            with mock_kms(seed=99):
                again = boto3.client("kms", region_name="us-east-1").create_key()
            assert again["KeyMetadata"]["KeyId"] == key_id
        """
    )
    result = run("-n", "2", "-p", "randomly", subprocess=True)
    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines(["Using --randomly-seed=*", "created: 2/2 workers"])


# -- the leak check itself ---------------------------------------------------------------------


def test_the_leak_check_fails_a_leaking_test_and_cleans_up(
    run: _Runner, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        test_leaks="""
        import botocore.handlers

        from kms_mock import _interceptor, mock_kms


        def test_leaves_a_mock_active():
            mock_kms().start()


        def test_registers_a_handler_twice():
            botocore.handlers.BUILTIN_HANDLERS.append(_interceptor.HANDLERS[0])


        def test_clean(kms_client):
            kms_client.create_key()
        """
    )
    result = run("-p", "no:randomly")
    result.assert_outcomes(passed=3, errors=2)
    assert _raised(result, "AssertionError") == [
        "test_leaks.py::test_leaves_a_mock_active leaked: 1 mock(s) left active",
        "test_leaks.py::test_registers_a_handler_twice leaked: "
        "kms_mock's handlers are registered [2, 1, 1, 1] times, not once each",
    ]


def test_state_settings_load_a_prepared_file(run: _Runner, pytester: pytest.Pytester) -> None:
    prepared = pytester.path / "prepared.db"
    with mock_kms(clock=FrozenClock(START)) as kms:
        boto3.client("kms", region_name="us-east-1").create_key(Description="prepared")
        kms.save(prepared)
    written = prepared.read_bytes()
    pytester.makeini("[pytest]\nkms_mock_state_read_only = true\n")
    pytester.makepyfile(
        test_state="""
        import pytest

        @pytest.fixture
        def kms_mock_config():
            return {"state": "prepared.db"}

        def test_the_prepared_key(kms_client):
            [key] = kms_client.list_keys()["Keys"]
            description = kms_client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"]
            assert description == "prepared"
            kms_client.create_key()

        @pytest.mark.kms_mock(state_read_only=True)
        def test_starts_from_the_file_again(kms_client):
            assert len(kms_client.list_keys()["Keys"]) == 1
        """
    )
    run().assert_outcomes(passed=2)
    assert prepared.read_bytes() == written


def test_a_bad_state_setting_is_a_usage_error(run: _Runner, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkms_mock_state_read_only = maybe\n")
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = run()
    assert "ini option kms_mock_state_read_only = 'maybe' is not a boolean: use true or false." in (
        result.stderr.str()
    )
