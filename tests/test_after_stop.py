"""The handle after ``stop()``: the last activation's final state stays readable, and
unchanged whatever the clock does, until the next ``start()``; what would change it
is a UsageError that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from kms_mock import FrozenClock, UsageError, mock_kms
from tests._helpers import START, new_client

ROLE = "arn:aws:iam::123456789012:role/app"


def test_what_the_handle_shows_stays_as_it_was_at_the_stop(tmp_path: Path) -> None:
    clock = FrozenClock(START)
    with mock_kms(clock=clock, audit_log_limit=3) as kms:
        client = new_client()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        blob = client.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
        client.list_keys()
        faults = kms.faults
        faults.error("ThrottlingException", operation="Decrypt")

    def shown() -> tuple[object, ...]:
        return (
            kms.audit_log,
            kms.audit_log_dropped,
            kms.key_materials(key_id),
            kms.inspect_ciphertext(blob),
            faults.rules,
        )

    final = shown()
    assert [event["eventName"] for event in kms.audit_log] == [
        "EnableKeyRotation",
        "Encrypt",
        "ListKeys",
    ]
    assert kms.audit_log_dropped == 1
    clock.advance(days=365)  # would rotate the key twice, were the mock running
    kms.audit_log[0].clear()  # a copy
    assert shown() == final
    with pytest.raises(AssertionError, match=r"^1 fault rule never fired:"):
        faults.assert_all_fired()  # the rules stay readable too

    kms.save(tmp_path / "final.db")  # the state as it was at the stop
    with mock_kms(clock=FrozenClock(START), state=tmp_path / "final.db") as restored:
        # (The file also keeps where the clock stands: the year's rotations follow.)
        assert restored.audit_log[:3] == final[0]

    with kms:
        assert (kms.audit_log, kms.audit_log_dropped) == ([], 0)


def test_what_would_change_a_stopped_mock_is_a_usage_error() -> None:
    with mock_kms(clock=FrozenClock(START)) as kms:
        store_id = new_client().create_custom_key_store(
            CustomKeyStoreName="hsm",
            CloudHsmClusterId="cluster-234abcdefgh",
            TrustAnchorCertificate="-----BEGIN CERTIFICATE-----",
            KeyStorePassword="kmsuser-password",
        )["CustomKeyStoreId"]
        faults = kms.faults

    with pytest.raises(UsageError) as added:
        faults.error("ThrottlingException")
    assert str(added.value) == (
        "these fault rules belonged to an activation that has ended (or was reset): add "
        "rules through kms.faults while the mock runs."
    )
    assert faults.rules == []
    with pytest.raises(UsageError, match=r"^fault rules belong to an activation"):
        _ = kms.faults
    with pytest.raises(UsageError) as failed:
        kms.fail_key_store_connection(store_id, "NETWORK_ERRORS")
    assert str(failed.value) == (
        "fail_key_store_connection() acts on a running mock: call it inside the decorated "
        "test or the with block (or after start())."
    )
    with pytest.raises(UsageError, match=r"^reset\(\) empties a running mock"):
        kms.reset()
    # The mock's configuration is no activation's: it is read and set for the next one.
    kms.iam.attach(ROLE, {"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
    assert kms.principals.register(ROLE)["aws_access_key_id"]


def test_fault_rules_of_a_reset_activation_take_no_new_rule() -> None:
    with mock_kms(clock=FrozenClock(START)) as kms:
        before = kms.faults
        kms.reset()
        with pytest.raises(UsageError, match=r"^these fault rules belonged to an activation"):
            before.delay(1.0)
        kms.faults.error("ThrottlingException", operation="ListKeys", times=1)
        assert [rule.fired for rule in kms.faults.rules] == [0]
