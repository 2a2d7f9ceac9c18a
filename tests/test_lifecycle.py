"""Key lifecycle (``_lifecycle``): state changes, scheduled deletion and what the clock deletes.

Fast backend tests of the one module that changes key states; the operations
that call it (EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion)
are tested through boto3 in ``test_key_states.py`` and ``test_deletion.py``.
"""

from __future__ import annotations

import ast
import datetime as _dt
from pathlib import Path

import pytest

import kms_mock
from kms_mock import FrozenClock, _lifecycle, _rotation
from kms_mock._keyfactory import new_key
from kms_mock._models import DISABLED, ENABLED, PENDING_DELETION, PENDING_IMPORT, Alias, Key
from kms_mock._store import Backend
from tests._helpers import ACCOUNT, REGION

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DAY = _dt.timedelta(days=1)
PACKAGE = Path(kms_mock.__file__).parent


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def backend(clock: FrozenClock) -> Backend:
    return Backend(clock=clock, default_region=REGION, account_id=ACCOUNT, seed=2)


def stored(backend: Backend, origin: str = "AWS_KMS") -> Key:
    key = new_key(
        backend,
        ACCOUNT,
        REGION,
        START,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin=origin,
        policy=None,
    )
    store = backend.region_store(ACCOUNT, REGION)
    store.add_key(key)
    backend.keep(store)
    return key


def rotations(key: Key) -> list[_dt.datetime | None]:
    return [material.rotated_at for material in key.materials.by_id.values()]


def test_rotation_follows_the_state(backend: Backend, clock: FrozenClock) -> None:
    key = stored(backend)
    _rotation.enable(backend, key, 90, START)
    _lifecycle.set_state(backend, key, DISABLED, START)
    assert len(backend.schedule) == 0  # a disabled key does not rotate
    clock.advance(days=200)
    assert rotations(key) == [None]
    _lifecycle.set_state(backend, key, ENABLED, clock.now())
    # Overdue when enabled again: one rotation now, the next a period later.
    assert rotations(key) == [None, START + 200 * DAY]
    assert key.materials.next_rotation_at == START + 290 * DAY
    assert len(backend.schedule) == 1


def test_scheduled_deletion_stops_rotation_and_holds_the_deleting_event(
    backend: Backend,
) -> None:
    key = stored(backend)
    _rotation.enable(backend, key, 90, START)
    _lifecycle.schedule_deletion(backend, key, 7, START)
    assert (key.state, key.pending_window_days, key.deletion_date) == (
        PENDING_DELETION,
        7,
        START + 7 * DAY,
    )
    assert key.materials.rotation_event is None
    assert key.deletion_event is not None
    assert [event.due for event in backend.schedule.pending()] == [START + 7 * DAY]


def test_the_clock_deletes_the_key_and_its_aliases_on_the_scheduled_date(
    backend: Backend, clock: FrozenClock
) -> None:
    key, other = stored(backend), stored(backend)
    store = backend.region_store(ACCOUNT, REGION)
    store.add_alias(Alias("alias/gone", "arn:alias/gone", key.key_id, START, START))
    _lifecycle.schedule_deletion(backend, key, 7, START)
    clock.advance(days=7, seconds=-1)
    backend.catch_up()
    assert key.key_id in store.keys
    clock.advance(days=30)
    backend.catch_up()
    assert list(store.keys) == [other.key_id]
    assert store.aliases == {}
    [record] = backend.audit.records
    assert (record.event_name, record.when, record.resources) == (
        "DeleteKey",
        START + 7 * DAY,  # its scheduled date, not the later moment the clock got there
        (key.arn,),
    )


def test_a_window_past_year_9999_never_ends(backend: Backend) -> None:
    key = stored(backend)
    near_the_end = _dt.datetime.max.replace(tzinfo=_dt.UTC) - 3 * DAY
    _lifecycle.schedule_deletion(backend, key, 7, near_the_end)
    assert (key.state, key.deletion_date, key.deletion_event) == (PENDING_DELETION, None, None)
    assert key.pending_window_days == 7
    assert len(backend.schedule) == 0


def test_cancelled_deletion_never_happens_and_leaves_the_key_disabled(
    backend: Backend, clock: FrozenClock
) -> None:
    key = stored(backend)
    _lifecycle.schedule_deletion(backend, key, 7, START)
    _lifecycle.cancel_deletion(backend, key, START + DAY)
    assert key.state == DISABLED
    assert (key.deletion_date, key.deletion_event, key.pending_window_days) == (None, None, None)
    assert len(backend.schedule) == 0
    clock.advance(days=30)
    backend.catch_up()
    assert backend.key(ACCOUNT, REGION, key.key_id) is key


def test_cancelled_deletion_of_a_key_without_material_awaits_its_import(
    backend: Backend,
) -> None:
    key = stored(backend, origin="EXTERNAL")
    assert key.state == PENDING_IMPORT
    _lifecycle.schedule_deletion(backend, key, 7, START)
    _lifecycle.cancel_deletion(backend, key, START)
    assert key.state == PENDING_IMPORT


# --- The one home of states -------------------------------------------------------------------


def _writes_a_state(path: Path) -> bool:
    """Whether ``path`` assigns an attribute named ``state`` (of a key or a material)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(element, ast.Attribute) and element.attr == "state":
                    return True
    return False


def test_states_change_only_in_the_lifecycle_and_the_material_set() -> None:
    # Key states through _lifecycle, so that rotation and deletion follow them;
    # material states through MaterialSet, so that one version stays CURRENT.
    writers = sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if _writes_a_state(path)
    )
    assert writers == ["_lifecycle.py", "_materials.py"]
