"""Property-based tests of rotation (hypothesis).

Any sequence of encrypt, on-demand rotation, clock moves, key enable/disable,
rotation enable/disable and scheduled deletion keeps every ciphertext
decryptable to its plaintext while its key exists, keeps ListKeyRotations in
agreement with ``kms.key_materials``, never dates a rotation in the future,
and rotates exactly as a small reference model of the rules says: one
rotation per scheduled date while Enabled, one at the moment an overdue key
becomes Enabled again, none while Disabled or pending deletion, the period
counted from the last automatic rotation.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests._helpers import audit_of

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
CONFLICT_WINDOW = _dt.timedelta(minutes=20)
LIMIT = 4  # a low on-demand limit, so that sequences reach it
MAX_KEYS = 3
ENABLED, DISABLED, PENDING_DELETION, DELETED = "Enabled", "Disabled", "PendingDeletion", "Deleted"
# The error every operation but GetKeyRotationStatus gives in each non-Enabled state.
STATE_ERRORS = {
    DISABLED: "DisabledException",
    PENDING_DELETION: "KMSInvalidStateException",
    DELETED: "NotFoundException",
}

keys_ = st.integers(0, MAX_KEYS - 1)


@dataclass
class ModelKey:
    """What the rules say about one key: its state, schedule and rotations."""

    key_id: str
    state: str = ENABLED
    rotation_on: bool = False
    period: int = 365
    anchor: _dt.datetime | None = None
    deletion_date: _dt.datetime | None = None
    on_demand: int = 0
    # (date, type) of every rotation, oldest first.
    rotations: list[tuple[_dt.datetime, str]] = field(default_factory=list)

    @property
    def next_rotation(self) -> _dt.datetime | None:
        if not self.rotation_on or self.anchor is None:
            return None
        return self.anchor + _dt.timedelta(days=self.period)

    def rotate_automatically(self, when: _dt.datetime) -> None:
        self.rotations.append((when, "AUTOMATIC"))
        self.anchor = when

    def run_until(self, now: _dt.datetime) -> None:
        """What the clock does by ``now``: scheduled rotations (Enabled keys), deletion."""
        while self.state == ENABLED and (due := self.next_rotation) is not None and due <= now:
            self.rotate_automatically(due)
        deleting = self.state == PENDING_DELETION and self.deletion_date is not None
        if deleting and self.deletion_date is not None and self.deletion_date <= now:
            self.state = DELETED

    def rotate_if_overdue(self, now: _dt.datetime) -> None:
        """Overdue when it becomes rotatable: one rotation now, no catch-up."""
        due = self.next_rotation
        if due is not None and due <= now:
            self.rotate_automatically(now)


class RotationMachine(RuleBasedStateMachine):
    """Up to three keys driven through boto3 and checked against :class:`ModelKey`."""

    client: KMSClient

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(START)
        self.kms: MockKMS = mock_kms(clock=self.clock, seed=3)
        self.kms.start()
        self.kms.on_demand_rotation_limit = LIMIT
        self.keys: list[ModelKey] = []
        # (key, ciphertext, plaintext, id of the material that made it)
        self.ciphertexts: list[tuple[ModelKey, bytes, bytes, str]] = []

    def teardown(self) -> None:
        self.kms.stop()

    # -- helpers -------------------------------------------------------------------------

    def now(self) -> _dt.datetime:
        return self.clock.now()

    def key(self, index: int) -> ModelKey:
        """The key at ``index`` (modulo the keys made so far), caught up with the clock."""
        key = self.keys[index % len(self.keys)]
        key.run_until(self.now())
        return key

    def catch_up(self) -> None:
        for key in self.keys:
            key.run_until(self.now())

    def fails_with(self, code: str, call: Any, **kwargs: Any) -> None:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == code, excinfo.value.response

    def move_to(self, when: _dt.datetime) -> None:
        if when > self.now():
            self.clock.move_to(when)
        self.catch_up()

    # -- rules ---------------------------------------------------------------------------

    @initialize(period=st.none() | st.integers(90, 400))
    def first_keys(self, period: int | None) -> None:
        """Two keys, the first one rotating."""
        self.create_key()
        self.create_key()
        self.enable_rotation(0, period)

    @precondition(lambda self: len(self.keys) < MAX_KEYS)
    @rule()
    def create_key(self) -> None:
        self.keys.append(ModelKey(self.client.create_key()["KeyMetadata"]["KeyId"]))

    @rule(index=keys_, plaintext=st.binary(min_size=1, max_size=32))
    def encrypt(self, index: int, plaintext: bytes) -> None:
        key = self.key(index)
        if key.state != ENABLED:
            self.fails_with(
                STATE_ERRORS[key.state], self.client.encrypt, KeyId=key.key_id, Plaintext=plaintext
            )
            return
        blob = self.client.encrypt(KeyId=key.key_id, Plaintext=plaintext)["CiphertextBlob"]
        material = self.kms.inspect_ciphertext(blob).key_material_id
        assert material == self.kms.key_materials(key.key_id)[-1].key_material_id
        self.ciphertexts.append((key, blob, plaintext, material))

    @rule(index=keys_)
    def rotate_on_demand(self, index: int) -> None:
        key = self.key(index)
        call = self.client.rotate_key_on_demand
        due = key.next_rotation
        if key.state != ENABLED:
            self.fails_with(STATE_ERRORS[key.state], call, KeyId=key.key_id)
        elif key.on_demand >= LIMIT:
            self.fails_with("LimitExceededException", call, KeyId=key.key_id)
        elif due is not None and due < self.now() + CONFLICT_WINDOW:
            self.fails_with("ConflictException", call, KeyId=key.key_id)
        else:
            assert call(KeyId=key.key_id)["KeyId"].endswith(f":key/{key.key_id}")
            key.on_demand += 1
            key.rotations.append((self.now(), "ON_DEMAND"))

    @rule(index=keys_, minutes=st.integers(1, 40))
    def rotate_on_demand_shortly_before_the_next_rotation(self, index: int, minutes: int) -> None:
        """Within 20 minutes of a scheduled rotation: ConflictException."""
        due = self.key(index).next_rotation
        if due is not None:
            self.move_to(due - _dt.timedelta(minutes=minutes))
        self.rotate_on_demand(index)

    @rule(
        count=st.integers(0, 800),
        extra=st.sampled_from([_dt.timedelta(0), _dt.timedelta(hours=7, minutes=13)]),
    )
    def advance(self, count: int, extra: _dt.timedelta) -> None:
        self.clock.advance(_dt.timedelta(days=count) + extra)
        self.catch_up()

    @rule(index=keys_, minutes=st.integers(-40, -1) | st.integers(0, 24 * 60))
    def move_near_the_next_rotation(self, index: int, minutes: int) -> None:
        """Land just before a due date (in the ConflictException window) or just after
        it, whether or not the key can rotate then."""
        due = self.key(index).next_rotation
        if due is not None:
            self.move_to(due + _dt.timedelta(minutes=minutes))

    @rule(index=keys_)
    def disable_key(self, index: int) -> None:
        key = self.key(index)
        if key.state in (PENDING_DELETION, DELETED):
            self.fails_with(STATE_ERRORS[key.state], self.client.disable_key, KeyId=key.key_id)
            return
        self.client.disable_key(KeyId=key.key_id)
        key.state = DISABLED

    @rule(index=keys_)
    def enable_key(self, index: int) -> None:
        key = self.key(index)
        if key.state in (PENDING_DELETION, DELETED):
            self.fails_with(STATE_ERRORS[key.state], self.client.enable_key, KeyId=key.key_id)
            return
        self.client.enable_key(KeyId=key.key_id)
        if key.state == DISABLED:
            key.state = ENABLED
            key.rotate_if_overdue(self.now())

    @rule(index=keys_, period=st.none() | st.integers(90, 2560) | st.integers(90, 200))
    def enable_rotation(self, index: int, period: int | None) -> None:
        key = self.key(index)
        kwargs: dict[str, Any] = {"KeyId": key.key_id}
        if period is not None:
            kwargs["RotationPeriodInDays"] = period
        if key.state != ENABLED:
            self.fails_with(STATE_ERRORS[key.state], self.client.enable_key_rotation, **kwargs)
            return
        self.client.enable_key_rotation(**kwargs)
        if not key.rotation_on:
            key.rotation_on, key.anchor, key.period = True, self.now(), period or 365
        elif period is not None:
            key.period = period
            key.rotate_if_overdue(self.now())  # a shorter period may be past already

    @rule(index=keys_)
    def disable_rotation(self, index: int) -> None:
        key = self.key(index)
        if key.state != ENABLED:
            self.fails_with(
                STATE_ERRORS[key.state], self.client.disable_key_rotation, KeyId=key.key_id
            )
            return
        self.client.disable_key_rotation(KeyId=key.key_id)
        key.rotation_on, key.anchor = False, None

    @rule(index=keys_, window=st.integers(7, 30))
    def schedule_or_cancel_deletion(self, index: int, window: int) -> None:
        key = self.key(index)
        if key.state == PENDING_DELETION:
            self.client.cancel_key_deletion(KeyId=key.key_id)
            key.state, key.deletion_date = DISABLED, None
        elif key.state == DELETED:
            self.fails_with(
                "NotFoundException", self.client.schedule_key_deletion, KeyId=key.key_id
            )
        else:
            response = self.client.schedule_key_deletion(
                KeyId=key.key_id, PendingWindowInDays=window
            )
            key.state, key.deletion_date = PENDING_DELETION, response["DeletionDate"]
            assert key.deletion_date == self.now() + _dt.timedelta(days=window)

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def every_ciphertext_decrypts_while_its_key_exists(self) -> None:
        self.catch_up()
        for key, blob, plaintext, material in self.ciphertexts:
            if key.state == ENABLED:
                response = self.client.decrypt(CiphertextBlob=blob)
                assert response["Plaintext"] == plaintext
                assert response["KeyMaterialId"] == material
            else:
                code = "AccessDeniedException" if key.state == DELETED else STATE_ERRORS[key.state]
                self.fails_with(code, self.client.decrypt, CiphertextBlob=blob)

    @invariant()
    def listings_agree_with_the_handle_and_the_model(self) -> None:
        self.catch_up()
        now = self.now()
        for key in self.keys:
            if key.state == DELETED:
                self.fails_with(
                    "NotFoundException", self.client.list_key_rotations, KeyId=key.key_id
                )
                continue
            pages = self.client.get_paginator("list_key_rotations").paginate(
                KeyId=key.key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL"
            )
            listed = [entry for page in pages for entry in page["Rotations"]]
            materials = self.kms.key_materials(key.key_id)
            assert [(e["KeyMaterialId"], e["KeyMaterialState"]) for e in listed] == [
                (m.key_material_id, m.state) for m in materials
            ]
            assert [m.state for m in materials] == ["NON_CURRENT"] * (len(materials) - 1) + [
                "CURRENT"
            ]
            assert "RotationDate" not in listed[0]
            rotations = [(e["RotationDate"], e["RotationType"]) for e in listed[1:]]
            assert all(date <= now for date, _ in rotations)
            assert rotations == key.rotations

    @invariant()
    def status_agrees_with_the_model(self) -> None:
        self.catch_up()
        for key in self.keys:
            if key.state == DELETED:
                continue
            status = self.client.get_key_rotation_status(KeyId=key.key_id)
            shown = key.rotation_on and key.state != PENDING_DELETION
            assert status["KeyRotationEnabled"] is shown
            if shown:
                assert status["RotationPeriodInDays"] == key.period
                assert status["NextRotationDate"] == key.next_rotation
            else:
                assert "NextRotationDate" not in status

    @invariant()
    def rotations_are_logged_once_each_in_time_order(self) -> None:
        # The raw records (not the CloudTrail dicts): cheap enough for every step.
        times = [
            record.when
            for record in audit_of(self.kms).records
            if record.event_name == "RotateKey" and record.is_service_event
        ]
        assert times == sorted(times)
        assert len(times) == sum(len(key.rotations) for key in self.keys)


def test_rotation_state_machine() -> None:
    # One client for every example; made inside a mock, which gives it placeholder
    # credentials (outside one, botocore would look for real ones).
    with mock_kms():
        RotationMachine.client = boto3.client("kms", region_name="us-east-1")
    run_state_machine_as_test(  # type: ignore[no-untyped-call,unused-ignore]  # typed in newer hypothesis
        RotationMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
