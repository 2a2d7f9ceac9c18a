"""Property-based test of multi-Region keys (hypothesis): replicate and rotate across Regions.

One multi-Region key rotating automatically, driven through boto3 by any sequence
of replication, encryption in any Region, on-demand rotation, clock moves, key
enable/disable in any Region and UpdatePrimaryRegion. Whatever happened, every
ciphertext decrypts in every Region that holds an Enabled member (its material
is never gone: KMS made it), every member lists the same material versions, and
the rotations are what the rules of a single key say, ruled by the state of
whichever key is the primary at the time (``ModelKey`` of the rotation machine).
"""

from __future__ import annotations

import datetime as _dt
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
    rule,
    run_state_machine_as_test,
)

from kms_mock import FrozenClock, MockKMS, mock_kms
from tests.test_rotation_properties import DISABLED, ENABLED, ModelKey

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
regions_ = st.sampled_from(REGIONS)


class MultiRegionMachine(RuleBasedStateMachine):
    """A multi-Region key's members in up to four Regions, checked against a model."""

    clients: dict[str, KMSClient]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(START)
        self.kms: MockKMS = mock_kms(clock=self.clock, seed=5)
        self.kms.start()
        self.kms.on_demand_rotation_limit = 1000  # the limit is the rotation machine's matter
        self.primary = REGIONS[0]
        self.members: set[str] = {self.primary}
        self.disabled: set[str] = set()
        # (ciphertext, plaintext, id of the material that made it)
        self.ciphertexts: list[tuple[bytes, bytes, str]] = []

    def teardown(self) -> None:
        self.kms.stop()

    def fails_with(self, code: str, call: Any, **kwargs: Any) -> None:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == code, excinfo.value.response

    def catch_up(self) -> None:
        self.model.run_until(self.clock.now())

    # -- rules ---------------------------------------------------------------------------

    @initialize(period=st.integers(90, 200))
    def create_key(self, period: int) -> None:
        client = self.clients[self.primary]
        self.key_id = client.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        client.enable_key_rotation(KeyId=self.key_id, RotationPeriodInDays=period)
        self.model = ModelKey(self.key_id, rotation_on=True, period=period, anchor=START)

    @rule(region=regions_)
    def replicate(self, region: str) -> None:
        call = self.clients[self.primary].replicate_key
        if self.primary in self.disabled:
            self.fails_with("DisabledException", call, KeyId=self.key_id, ReplicaRegion=region)
        elif region in self.members:
            self.fails_with("AlreadyExistsException", call, KeyId=self.key_id, ReplicaRegion=region)
        else:
            call(KeyId=self.key_id, ReplicaRegion=region)
            self.members.add(region)

    @rule(region=regions_, plaintext=st.binary(min_size=1, max_size=16))
    def encrypt(self, region: str, plaintext: bytes) -> None:
        if region not in self.members or region in self.disabled:
            return
        blob = self.clients[region].encrypt(KeyId=self.key_id, Plaintext=plaintext)[
            "CiphertextBlob"
        ]
        self.ciphertexts.append(
            (blob, plaintext, self.kms.inspect_ciphertext(blob).key_material_id)
        )

    @rule()
    def rotate_on_demand(self) -> None:
        self.catch_up()
        call = self.clients[self.primary].rotate_key_on_demand
        if self.primary in self.disabled:
            self.fails_with("DisabledException", call, KeyId=self.key_id)
            return
        call(KeyId=self.key_id)
        self.model.rotations.append((self.clock.now(), "ON_DEMAND"))

    @rule(days=st.integers(0, 400))
    def advance(self, days: int) -> None:
        # Whole days from midnight: never within 20 minutes of a due rotation.
        self.clock.advance(days=days)
        self.catch_up()

    @rule(region=regions_)
    def disable(self, region: str) -> None:
        if region not in self.members:
            return
        self.catch_up()
        self.clients[region].disable_key(KeyId=self.key_id)
        self.disabled.add(region)
        if region == self.primary:
            self.model.state = DISABLED

    @rule(region=regions_)
    def enable(self, region: str) -> None:
        if region not in self.members:
            return
        self.catch_up()
        self.clients[region].enable_key(KeyId=self.key_id)
        self.disabled.discard(region)
        if region == self.primary and self.model.state == DISABLED:
            self.model.state = ENABLED
            self.model.rotate_if_overdue(self.clock.now())

    @rule(region=regions_)
    def update_primary(self, region: str) -> None:
        self.catch_up()
        call = self.clients[self.primary].update_primary_region
        if self.primary in self.disabled:
            self.fails_with("DisabledException", call, KeyId=self.key_id, PrimaryRegion=region)
        elif region not in self.members or region == self.primary:
            self.fails_with("NotFoundException", call, KeyId=self.key_id, PrimaryRegion=region)
        elif region in self.disabled:
            self.fails_with("DisabledException", call, KeyId=self.key_id, PrimaryRegion=region)
        else:
            call(KeyId=self.key_id, PrimaryRegion=region)
            self.primary = region  # both Enabled: the ruling state stays Enabled

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def every_ciphertext_decrypts_in_every_region_with_an_enabled_member(self) -> None:
        self.catch_up()
        for region in REGIONS:
            client = self.clients[region]
            for blob, plaintext, material in self.ciphertexts:
                if region not in self.members:
                    self.fails_with("AccessDeniedException", client.decrypt, CiphertextBlob=blob)
                elif region in self.disabled:
                    self.fails_with("DisabledException", client.decrypt, CiphertextBlob=blob)
                else:
                    response = client.decrypt(CiphertextBlob=blob)
                    assert (response["Plaintext"], response["KeyMaterialId"]) == (
                        plaintext,
                        material,
                    )

    @invariant()
    def every_member_lists_the_same_versions_as_the_model_rotated(self) -> None:
        self.catch_up()
        handle = [info.key_material_id for info in self.kms.key_materials(self.key_id)]
        for region in self.members:
            listed = self.clients[region].list_key_rotations(
                KeyId=self.key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL", Limit=1000
            )["Rotations"]
            assert [entry["KeyMaterialId"] for entry in listed] == handle
            rotations = [(e["RotationDate"], e["RotationType"]) for e in listed[1:]]
            assert rotations == self.model.rotations

    @invariant()
    def every_member_names_the_same_primary(self) -> None:
        for region in self.members:
            shown = self.clients[region].describe_key(KeyId=self.key_id)["KeyMetadata"]
            configuration = shown["MultiRegionConfiguration"]
            assert configuration["PrimaryKey"]["Region"] == self.primary
            replicas = {replica["Region"] for replica in configuration["ReplicaKeys"]}
            assert replicas == self.members - {self.primary}


def test_multi_region_state_machine() -> None:
    with mock_kms():  # clients made inside a mock get placeholder credentials
        MultiRegionMachine.clients = {
            region: boto3.client("kms", region_name=region) for region in REGIONS
        }
    run_state_machine_as_test(  # type: ignore[no-untyped-call,unused-ignore]  # typed in newer hypothesis
        MultiRegionMachine,
        settings=settings(
            max_examples=100,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
