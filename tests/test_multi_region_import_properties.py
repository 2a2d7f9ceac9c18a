"""Property-based test of multi-Region keys with imported material (hypothesis).

One multi-Region EXTERNAL key driven through boto3 by any sequence of
replication, import into any Region (material it has, with or without an
expiry), new material into the primary, deletion of any Region's material,
on-demand rotation, UpdatePrimaryRegion, encryption and clock moves (which
expire imports). Whatever happened, every Region's key is Enabled exactly when
every version associated for good is imported into it, every ciphertext
decrypts there then (and is refused as pending import otherwise), and every
Region lists the same versions, in the same states, with its own import states.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Final

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
from tests._helpers import wrap_key_material
from tests.test_multi_region_properties import REGIONS, START

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# Distinct AES materials, by index; the model names material by its index.
MATERIALS = tuple(bytes([index]) * 32 for index in range(8))
WRAPPING: Final = "RSA_AES_KEY_WRAP_SHA_256"
WAITING = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
regions_ = st.sampled_from(REGIONS)
# An import that never expires, or one that expires some hours from now.
expiries_ = st.one_of(st.none(), st.integers(1, 96))


class MultiRegionImportMachine(RuleBasedStateMachine):
    """An EXTERNAL multi-Region key's imports in up to four Regions, checked against a model."""

    clients: dict[str, KMSClient]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(START)
        self.kms: MockKMS = mock_kms(clock=self.clock)
        self.kms.start()
        self.kms.on_demand_rotation_limit = 1000
        self.primary = REGIONS[0]
        self.members = [self.primary]
        # Material associated for good, oldest first (the last is current), and the pending one.
        self.versions: list[int] = []
        self.pending: int | None = None
        # Each Region's present imports: material -> its ValidTo (None: never expires).
        self.imports: dict[str, dict[int, _dt.datetime | None]] = {self.primary: {}}
        self.ids: dict[int, str] = {}
        self.ciphertexts: list[tuple[bytes, bytes]] = []
        # GetParametersForImport per Region, reused while valid: generating RSA keys is slow.
        self.parameters: dict[str, Any] = {}

    def teardown(self) -> None:
        self.kms.stop()

    def fails_with(self, code: str, call: Any, **kwargs: Any) -> None:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == code, excinfo.value.response

    # -- the model -----------------------------------------------------------------------

    def enabled(self, region: str) -> bool:
        return all(material in self.imports[region] for material in self.versions)

    def pending_state(self) -> str:
        assert self.pending is not None
        everywhere = all(self.pending in self.imports[region] for region in self.members)
        return "PENDING_ROTATION" if everywhere else WAITING

    def delete(self, region: str, material: int) -> None:
        """The model of DeleteImportedKeyMaterial, and of expiry."""
        if material == self.pending and region == self.primary:
            self.pending = None
            for held in self.imports.values():
                held.pop(material, None)
        else:
            self.imports[region].pop(material, None)

    def known(self) -> list[int]:
        return self.versions + ([] if self.pending is None else [self.pending])

    # -- calls ---------------------------------------------------------------------------

    def import_into(self, region: str, material: int, hours: int | None, **kwargs: Any) -> str:
        client = self.clients[region]
        parameters = self.parameters.get(region)
        if parameters is None or parameters["ParametersValidTo"] <= self.clock.now():
            parameters = self.parameters[region] = client.get_parameters_for_import(
                KeyId=self.key_id, WrappingAlgorithm=WRAPPING, WrappingKeySpec="RSA_2048"
            )
        valid_to = None if hours is None else self.clock.now() + _dt.timedelta(hours=hours)
        expiry = (
            {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
            if valid_to is None
            else {"ValidTo": valid_to}
        )
        material_id: str = client.import_key_material(
            KeyId=self.key_id,
            ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=wrap_key_material(
                MATERIALS[material], parameters["PublicKey"], WRAPPING
            ),
            **expiry,
            **kwargs,
        )["KeyMaterialId"]
        self.imports[region][material] = valid_to
        return material_id

    # -- rules ---------------------------------------------------------------------------

    @initialize()
    def create_key(self) -> None:
        client = self.clients[self.primary]
        metadata = client.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]
        self.key_id = metadata["KeyId"]
        self.ids[0] = self.import_into(self.primary, 0, None)
        self.versions.append(0)

    @rule(region=regions_)
    def replicate(self, region: str) -> None:
        call = self.clients[self.primary].replicate_key
        if not self.enabled(self.primary):
            self.fails_with(
                "KMSInvalidStateException", call, KeyId=self.key_id, ReplicaRegion=region
            )
        elif region in self.members:
            self.fails_with("AlreadyExistsException", call, KeyId=self.key_id, ReplicaRegion=region)
        else:
            call(KeyId=self.key_id, ReplicaRegion=region)
            self.members.append(region)
            self.imports[region] = {}

    @rule(data=st.data(), region=regions_, hours=expiries_)
    def import_existing(self, data: st.DataObject, region: str, hours: int | None) -> None:
        if region not in self.members:
            return
        material = data.draw(st.sampled_from(self.known()))
        material_id = self.import_into(region, material, hours, ImportType="EXISTING_KEY_MATERIAL")
        assert material_id == self.ids[material]

    @precondition(lambda self: len(self.ids) < len(MATERIALS))
    @rule(hours=expiries_)
    def import_new(self, hours: int | None) -> None:
        material = len(self.ids)
        if self.pending is not None:
            with pytest.raises(ClientError) as excinfo:
                self.import_into(self.primary, material, hours, ImportType="NEW_KEY_MATERIAL")
            assert excinfo.value.response["Error"]["Code"] == "KMSInvalidStateException"
            return
        self.ids[material] = self.import_into(
            self.primary, material, hours, ImportType="NEW_KEY_MATERIAL"
        )
        self.pending = material

    @rule(data=st.data(), region=regions_)
    def delete_material(self, data: st.DataObject, region: str) -> None:
        if region not in self.members:
            return
        material = data.draw(st.sampled_from(self.known()))
        self.clients[region].delete_imported_key_material(
            KeyId=self.key_id, KeyMaterialId=self.ids[material]
        )
        self.delete(region, material)

    @rule()
    def rotate(self) -> None:
        call = self.clients[self.primary].rotate_key_on_demand
        if (
            not self.enabled(self.primary)
            or self.pending is None
            or self.pending_state() == WAITING
        ):
            self.fails_with("KMSInvalidStateException", call, KeyId=self.key_id)
            return
        call(KeyId=self.key_id)
        self.versions.append(self.pending)
        self.pending = None

    @rule(region=regions_)
    def update_primary(self, region: str) -> None:
        call = self.clients[self.primary].update_primary_region
        if not self.enabled(self.primary):
            self.fails_with(
                "KMSInvalidStateException", call, KeyId=self.key_id, PrimaryRegion=region
            )
        elif region not in self.members or region == self.primary:
            self.fails_with("NotFoundException", call, KeyId=self.key_id, PrimaryRegion=region)
        elif not self.enabled(region):
            self.fails_with(
                "KMSInvalidStateException", call, KeyId=self.key_id, PrimaryRegion=region
            )
        else:
            call(KeyId=self.key_id, PrimaryRegion=region)
            self.primary = region

    @rule(region=regions_, plaintext=st.binary(min_size=1, max_size=8))
    def encrypt(self, region: str, plaintext: bytes) -> None:
        if region in self.members and self.enabled(region):
            blob = self.clients[region].encrypt(KeyId=self.key_id, Plaintext=plaintext)
            self.ciphertexts.append((blob["CiphertextBlob"], plaintext))

    @rule(hours=st.integers(0, 72))
    def advance(self, hours: int) -> None:
        self.clock.advance(hours=hours)
        now = self.clock.now()
        due = sorted(
            (valid_to, region, material)
            for region, held in self.imports.items()
            for material, valid_to in held.items()
            if valid_to is not None and valid_to <= now
        )
        for _, region, material in due:
            if material in self.imports[region]:
                self.delete(region, material)

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def every_region_lists_the_versions_with_its_own_imports(self) -> None:
        expected_states = ["NON_CURRENT"] * (len(self.versions) - 1) + ["CURRENT"]
        if self.pending is not None:
            expected_states.append(self.pending_state())
        for region in self.members:
            client = self.clients[region]
            listed = client.list_key_rotations(
                KeyId=self.key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL"
            )["Rotations"]
            assert [entry["KeyMaterialId"] for entry in listed] == [
                self.ids[material] for material in self.known()
            ]
            assert [entry["KeyMaterialState"] for entry in listed] == expected_states
            assert [entry["ImportState"] for entry in listed] == [
                "IMPORTED" if material in self.imports[region] else "PENDING_IMPORT"
                for material in self.known()
            ]
            state = client.describe_key(KeyId=self.key_id)["KeyMetadata"]["KeyState"]
            assert state == ("Enabled" if self.enabled(region) else "PendingImport")

    @invariant()
    def every_ciphertext_decrypts_wherever_its_material_is_present(self) -> None:
        for region in self.members:
            client = self.clients[region]
            for blob, plaintext in self.ciphertexts:
                if self.enabled(region):
                    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
                else:
                    self.fails_with("KMSInvalidStateException", client.decrypt, CiphertextBlob=blob)


def test_multi_region_import_state_machine() -> None:
    with mock_kms():  # clients made inside a mock get placeholder credentials
        MultiRegionImportMachine.clients = {
            region: boto3.client("kms", region_name=region) for region in REGIONS
        }
    run_state_machine_as_test(  # type: ignore[no-untyped-call,unused-ignore]  # typed in newer hypothesis
        MultiRegionImportMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
