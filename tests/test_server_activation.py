"""A mock that runs without intercepting (what a server serves), and reset()."""

from __future__ import annotations

import boto3
import pytest

from kms_mock import FrozenClock, MockKMS, _active, mock_kms
from kms_mock._errors import UsageError
from tests._helpers import REGION, backend_of, exactly, new_key, stored_key_ids


def test_a_mock_started_without_intercepting_serves_no_botocore_client() -> None:
    kms = mock_kms(seed=1)
    kms.start(intercept=False)
    try:
        assert (kms.active, kms.intercepting) == (True, False)
        assert _active.active_backend() is None
        assert _active.depth() == 0
        assert stored_key_ids(kms) == []  # its state is there all the same
    finally:
        kms.stop()
    assert (kms.active, kms.intercepting) == (False, False)


def test_a_mock_started_as_usual_intercepts() -> None:
    with mock_kms() as kms:
        assert (kms.active, kms.intercepting) == (True, True)
        assert _active.active_backend() is backend_of(kms)


def test_an_intercepting_mock_inside_a_non_intercepting_one_serves_alone() -> None:
    outer = mock_kms().start(intercept=False)
    try:
        with mock_kms() as inner:
            assert _active.active_backend() is backend_of(inner)
        assert _active.active_backend() is None
    finally:
        outer.stop()


def test_reset_empties_state_and_keeps_clock_and_interception(kms: MockKMS) -> None:
    client = boto3.client("kms", region_name=REGION)
    key_id = new_key(client)["KeyId"]
    client.create_alias(AliasName="alias/kept-no-more", TargetKeyId=key_id)
    assert isinstance(kms.clock, FrozenClock)
    kms.clock.advance(days=3)
    now = kms.clock.now()

    kms.reset()

    assert kms.audit_log == []
    assert client.list_keys()["Keys"] == []
    names = [alias["AliasName"] for alias in client.list_aliases()["Aliases"]]
    assert "alias/kept-no-more" not in names
    assert kms.clock.now() == now
    assert kms.intercepting
    # The new state follows the clock too: a key made now rotates on schedule.
    rotating = new_key(client)["KeyId"]
    client.enable_key_rotation(KeyId=rotating, RotationPeriodInDays=90)
    kms.clock.advance(days=90)
    assert len(kms.key_materials(rotating)) == 2


def test_reset_needs_a_running_mock() -> None:
    with pytest.raises(
        UsageError, match=exactly("reset() empties a running mock: start() it first.")
    ):
        mock_kms().reset()
