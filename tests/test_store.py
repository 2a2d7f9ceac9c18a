"""Fast unit tests of the store: the alias index, the index of retirable grants, the ordered
views, lookups that only find."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import pytest

from kms_mock import FrozenClock
from kms_mock._callers import root_principal
from kms_mock._dispatch import Request
from kms_mock._grants import Grant, KeyGrants, RetirableGrants
from kms_mock._keyfactory import new_key
from kms_mock._models import Alias, Key
from kms_mock._resolve import find_key
from kms_mock._store import Backend, RegionStore

ACCOUNT = "123456789012"
REGION = "us-east-1"
START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


@pytest.fixture
def backend() -> Backend:
    return Backend(clock=FrozenClock(START), default_region=REGION, account_id=ACCOUNT, seed=1)


def _key(backend: Backend, store: RegionStore) -> Key:
    key = new_key(
        backend,
        store.account_id,
        store.region,
        START,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        policy=None,
    )
    store.add_key(key)
    return key


def _alias(name: str, key: Key) -> Alias:
    return Alias(name, f"arn:aws:kms:{REGION}:{ACCOUNT}:{name}", key.key_id, START, START)


def _names(aliases: list[Alias]) -> list[str]:
    return [alias.name for alias in aliases]


def test_keys_by_creation_survive_removals(backend: Backend) -> None:
    store = RegionStore(ACCOUNT, REGION)
    keys = [_key(backend, store) for _ in range(5)]
    assert store.keys_by_creation() == keys
    store.remove_key(keys[1].key_id)
    store.remove_key(keys[3].key_id)
    newest = _key(backend, store)
    assert store.keys_by_creation() == [keys[0], keys[2], keys[4], newest]
    sequences = [key.sequence for key in store.keys_by_creation()]
    assert sequences == sorted(sequences)


def _grant(number: int) -> Grant:
    return Grant(f"g{number}", "arn", f"user/{number % 2}", frozenset({"Decrypt"}), "root", START)


def test_grants_in_creation_order_survive_removals() -> None:
    grants = KeyGrants()
    made = [_grant(number) for number in range(5)]
    for grant in made:
        grants.add(grant)
    ordered = grants.in_creation_order()
    assert ordered == made
    newest = _grant(5)
    grants.add(newest)
    # Paging through them reads one list, kept up to date as grants are made.
    assert grants.in_creation_order() is ordered
    assert ordered == [*made, newest]
    grants.remove(made[1])
    grants.remove(made[3])
    assert grants.in_creation_order() == [made[0], made[2], made[4], newest]
    serials = [grant.serial for grant in grants.in_creation_order()]
    assert serials == sorted(serials)


def test_the_alias_index_follows_every_change(backend: Backend) -> None:
    store = RegionStore(ACCOUNT, REGION)
    first, second = _key(backend, store), _key(backend, store)
    for name in ("alias/a", "alias/b", "alias/c"):
        store.add_alias(_alias(name, first))
    store.retarget_alias(store.aliases["alias/b"], second.key_id)
    assert _names(store.aliases_of(first.key_id)) == ["alias/a", "alias/c"]
    assert _names(store.aliases_of(second.key_id)) == ["alias/b"]
    store.remove_alias("alias/a")
    assert _names(store.aliases_of(first.key_id)) == ["alias/c"]
    store.retarget_alias(store.aliases["alias/c"], second.key_id)
    assert store.aliases_of(first.key_id) == []
    assert _names(store.aliases_of(second.key_id)) == ["alias/b", "alias/c"]


def test_removing_a_key_takes_its_aliases(backend: Backend) -> None:
    store = RegionStore(ACCOUNT, REGION)
    doomed, kept = _key(backend, store), _key(backend, store)
    store.add_alias(_alias("alias/doomed", doomed))
    store.add_alias(_alias("alias/kept", kept))
    store.remove_key(doomed.key_id)
    assert list(store.keys) == [kept.key_id]
    assert list(store.aliases) == ["alias/kept"]
    assert store.aliases_of(doomed.key_id) == []
    assert _names(store.aliases_by_name()) == ["alias/kept"]


def test_aliases_by_name_whatever_the_order_of_changes(backend: Backend) -> None:
    store = RegionStore(ACCOUNT, REGION)
    key = _key(backend, store)
    for name in ("alias/m", "alias/x", "alias/c"):
        store.add_alias(_alias(name, key))
    assert _names(store.aliases_by_name()) == ["alias/c", "alias/m", "alias/x"]
    store.add_alias(_alias("alias/z", key))
    store.add_alias(_alias("alias/a", key))
    store.remove_alias("alias/m")
    assert _names(store.aliases_by_name()) == ["alias/a", "alias/c", "alias/x", "alias/z"]


def test_a_lookup_never_keeps_a_store(backend: Backend) -> None:
    store = backend.region_store(ACCOUNT, "eu-west-1")
    assert store.keys == {}
    assert backend.region_stores() == []
    backend.keep(store)  # nothing in it: still not kept
    assert backend.region_stores() == []
    _key(backend, store)
    backend.keep(store)
    assert backend.region_stores() == [store]
    assert backend.region_store(ACCOUNT, "eu-west-1") is store


def _request(backend: Backend) -> Request:
    return Request(
        backend=backend,
        operation="DescribeKey",  # the AWS managed key's policy lets the account describe it
        region=REGION,
        account_id=ACCOUNT,
        now=START,
        request_id="request",
        event_id="event",
        principal=root_principal(REGION, ACCOUNT),
    )


def test_a_provisional_aws_managed_key_is_kept_only_when_the_call_succeeds(
    backend: Backend,
) -> None:
    failed = _request(backend)
    assert find_key(failed, "alias/aws/ebs", aliases=True).is_aws_managed
    assert backend.region_stores() == []
    assert len(backend.schedule) == 0

    succeeded = _request(backend)
    key = find_key(succeeded, "alias/aws/ebs", aliases=True)
    assert find_key(succeeded, "alias/aws/ebs", aliases=True) is key  # one object per call
    succeeded.succeed()
    [store] = backend.region_stores()
    assert store.keys == {key.key_id: key}
    assert _names(store.aliases_of(key.key_id)) == ["alias/aws/ebs"]
    assert len(backend.schedule) == 1  # its yearly rotation
    assert find_key(_request(backend), "alias/aws/ebs", aliases=True) is key


def test_a_provisional_key_stored_meanwhile_by_another_call_is_stored_once(
    backend: Backend,
) -> None:
    # GenerateDataKeyPair lets go of the lock while it makes the pair: another
    # call may store the same AWS managed key before the first one succeeds.
    first, second = _request(backend), _request(backend)
    provisional = find_key(first, "alias/aws/ebs", aliases=True)
    stored = find_key(second, "alias/aws/ebs", aliases=True)
    second.succeed()
    assert find_key(first, "alias/aws/ebs", aliases=True) is stored
    first.succeed()
    [store] = backend.region_stores()
    assert provisional.key_id == stored.key_id
    assert provisional.materials.current_id == stored.materials.current_id
    assert store.keys_by_creation() == [stored]
    assert _names(store.aliases_by_name()) == ["alias/aws/ebs"]
    assert len(backend.schedule) == 1


def _retirable(number: int, key: Key, retiring: str | None = "user/r") -> Grant:
    """Grant ``r<number>`` on ``key`` that ``retiring`` may retire."""
    return Grant(
        f"r{number}",
        key.arn,
        "user/g",
        frozenset({"Decrypt"}),
        "root",
        START,
        retiring_principal=retiring,
    )


def _ids(grants: Sequence[Grant]) -> list[str]:
    return [grant.grant_id for grant in grants]


def test_retirable_grants_stay_in_listing_order_whatever_the_order_of_changes(
    backend: Backend,
) -> None:
    store = RegionStore(ACCOUNT, REGION)
    first, second = sorted((_key(backend, store), _key(backend, store)), key=lambda k: k.arn)
    store.add_grant(second, _retirable(0, second))
    store.add_grant(first, _retirable(1, first))
    store.add_grant(second, _retirable(2, second))
    store.add_grant(first, _retirable(3, first, retiring=None))  # in no list
    store.add_grant(first, _retirable(4, first))
    store.add_grant(first, _retirable(5, first, retiring="user/other"))
    assert _ids(store.retirable.of("user/r")) == ["r1", "r4", "r0", "r2"]
    assert _ids(store.retirable.of("user/other")) == ["r5"]
    assert first.grants is not None
    store.remove_grant(first, first.grants.by_id["r4"])
    store.remove_grant(first, first.grants.by_id["r3"])
    store.remove_grant(first, first.grants.by_id["r5"])
    assert _ids(store.retirable.of("user/r")) == ["r1", "r0", "r2"]
    assert store.retirable.of("user/other") == ()
    assert _ids(first.grants.in_creation_order()) == ["r1"]


def test_removing_a_key_takes_its_retirable_grants(backend: Backend) -> None:
    store = RegionStore(ACCOUNT, REGION)
    keys = sorted((_key(backend, store) for _ in range(3)), key=lambda k: k.arn)
    for number in range(9):
        key = keys[number % 3]
        store.add_grant(key, _retirable(number, key, retiring=f"user/{number % 2}"))
    store.remove_key(keys[1].key_id)
    assert _ids(store.retirable.of("user/0")) == ["r0", "r6", "r2", "r8"]
    assert _ids(store.retirable.of("user/1")) == ["r3", "r5"]
    store.remove_key(keys[0].key_id)
    store.remove_key(keys[2].key_id)
    assert store.retirable.of("user/0") == store.retirable.of("user/1") == ()


def test_a_regions_stores_share_one_retirable_index(backend: Backend) -> None:
    ours = backend.region_store(ACCOUNT, REGION)
    theirs = backend.region_store("111122223333", REGION)
    elsewhere = backend.region_store(ACCOUNT, "eu-west-1")
    assert ours.retirable is theirs.retirable is backend.retirable_grants(REGION)
    assert elsewhere.retirable is not ours.retirable
    assert RegionStore(ACCOUNT, REGION).retirable is not ours.retirable  # a store alone


def test_restored_keys_index_their_retirable_grants(backend: Backend) -> None:
    made = RegionStore(ACCOUNT, REGION)
    keys = sorted((_key(backend, made) for _ in range(2)), key=lambda k: k.arn)
    for number in range(4):
        made.add_grant(keys[number % 2], _retirable(number, keys[number % 2]))
    loaded = RegionStore(ACCOUNT, REGION, retirable=RetirableGrants())
    loaded.restore(keys, (), (), made.next_sequence)
    assert _ids(loaded.retirable.of("user/r")) == _ids(made.retirable.of("user/r"))
    assert _ids(loaded.retirable.of("user/r")) == ["r0", "r2", "r1", "r3"]
