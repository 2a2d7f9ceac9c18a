"""The pytest forms of fault rules and request quotas: the kms_fault marker, the
kms_faults fixture, and the request_quotas / assert_all_faults_fired settings."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from . import leak_check


@pytest.fixture(autouse=True)
def _interceptor_restored() -> Iterator[None]:
    yield
    assert leak_check.leaks() == []


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    return pytester.runpytest(*leak_check.install(pytester, monkeypatch), "-p", "no:randomly")


def test_the_marker_and_the_fixture_add_rules(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import boto3
        import pytest
        from botocore.config import Config

        ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})

        @pytest.mark.kms_fault("error", "NotFoundException", operation="ListKeys", times=1)
        def test_the_marker_alone_starts_the_mock():
            client = boto3.client("kms", region_name="us-east-1")
            with pytest.raises(client.exceptions.NotFoundException):
                client.list_keys()
            client.list_keys()

        @pytest.mark.kms_fault("read_timeout", operation="ListAliases")
        @pytest.mark.kms_fault("error", "DisabledException", operation="ListKeys")
        def test_markers_top_first(kms_faults):
            assert [repr(rule) for rule in kms_faults.rules] == [
                "<FaultRule read_timeout(operation='ListAliases') fired=0>",
                "<FaultRule error('DisabledException', operation='ListKeys') fired=0>",
            ]

        def test_the_fixture(kms_faults, kms_client):
            kms_faults.error("KMSInternalException", operation="ListKeys")
            client = boto3.client("kms", region_name="us-east-1", config=ONE_ATTEMPT)
            with pytest.raises(client.exceptions.KMSInternalException):
                client.list_keys()

        def test_rules_end_with_the_test(kms_client, kms_faults):
            assert kms_faults.rules == []
            kms_client.list_keys()
        """
    )
    run(pytester, monkeypatch).assert_outcomes(passed=4)


def test_assert_all_faults_fired(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nkms_mock_assert_all_faults_fired = true\n")
    pytester.makepyfile(
        """
        import pytest

        def test_fired(kms_faults, kms_client):
            kms_faults.error("NotFoundException", operation="ListAliases", times=1)
            with pytest.raises(kms_client.exceptions.NotFoundException):
                kms_client.list_aliases()

        def test_never_fired(kms_faults):
            kms_faults.connection_error(operation="Decrypt")

        @pytest.mark.kms_mock(assert_all_faults_fired=False)
        def test_check_turned_off(kms_faults):
            kms_faults.connection_error(operation="Decrypt")
        """
    )
    result = run(pytester, monkeypatch)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: 1 fault rule never fired:",
            "E *  connection_error(operation='Decrypt')",
            "ERROR test_assert_all_faults_fired.py::test_never_fired - *",
        ]
    )


def test_request_quotas_from_marker_and_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(
        "[pytest]\nkms_mock_request_quotas = true\nkms_mock_start = 2025-01-01T00:00:00Z\n"
    )
    pytester.makepyfile(
        """
        import boto3
        import pytest
        from botocore.config import Config

        ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})

        def test_ini_turns_quotas_on(kms_mock):
            client = boto3.client("kms", region_name="us-east-1", config=ONE_ATTEMPT)
            for _ in range(5):
                client.create_key()
            with pytest.raises(client.exceptions.ClientError, match="ThrottlingException"):
                client.create_key()

        @pytest.mark.kms_mock(request_quotas={"CreateKey": 1})
        def test_custom_values(kms_mock, kms_clock):
            client = boto3.client("kms", region_name="us-east-1", config=ONE_ATTEMPT)
            client.create_key()
            with pytest.raises(client.exceptions.ClientError, match="ThrottlingException"):
                client.create_key()
            kms_clock.advance(seconds=1)
            client.create_key()

        @pytest.mark.kms_mock(request_quotas=False)
        def test_turned_off(kms_client):
            for _ in range(6):
                kms_client.create_key()
        """
    )
    run(pytester, monkeypatch).assert_outcomes(passed=3)


def test_usage_errors(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kms_fault("throttle", operation="Decrypt")
        def test_unknown_kind():
            pass

        @pytest.mark.kms_fault("error", "NotFoundException", operation="Decryp")
        def test_bad_rule():
            pass

        @pytest.mark.kms_mock(request_quotas="yes")
        def test_bad_quotas(kms_mock):
            pass
        """
    )
    result = run(pytester, monkeypatch)
    result.assert_outcomes(errors=3)
    raised = [
        m[1] for line in result.outlines if (m := re.match(r"^E\s+pytest.UsageError: (.*)$", line))
    ]
    assert raised == [
        "@pytest.mark.kms_fault('throttle',) on test_usage_errors.py::test_unknown_kind: the "
        "first argument names the rule to add: one of error, connection_error, read_timeout, "
        "delay, as in "
        "@pytest.mark.kms_fault('error', 'ThrottlingException', operation='Decrypt').",
        "@pytest.mark.kms_fault on test_usage_errors.py::test_bad_rule: operation 'Decryp' is "
        "not a KMS operation (did you mean 'Decrypt'?).",
        "@pytest.mark.kms_mock(request_quotas='yes') on test_usage_errors.py::test_bad_quotas: "
        "request_quotas='yes' must be True (AWS's default request quotas), False or None (no "
        "quotas), or a dict of quota names to requests per second, such as {'CreateKey': 1}, over "
        "the defaults.",
    ]
