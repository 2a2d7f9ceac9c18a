"""State files: a mock's state saved to SQLite, written change by change, loaded again."""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from kms_mock import FrozenClock, MockKMS, SystemClock, mock_kms
from kms_mock._errors import UsageError
from kms_mock._state_file import APPLICATION_ID, FORMAT_VERSION
from tests._helpers import (
    ACCOUNT,
    EUROPE,
    START,
    dump,
    error_of,
    exactly,
    import_key_material,
    raises,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ROLE = f"arn:aws:iam::{ACCOUNT}:role/App"
DECRYPT_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "kms-state.db"


def client_of(region: str = "us-east-1") -> KMSClient:
    return boto3.client("kms", region_name=region)


def contents(path: Path) -> dict[str, list[Any]]:
    """Every row of every table of a state file (read-only), in primary key order."""
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        rows = {
            table: list(connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))
            for table in tables
            if not table.startswith("sqlite_") and table != "audit_log"
        }
        rows["audit_log"] = [
            json.loads(text)
            for (text,) in connection.execute("SELECT record FROM audit_log ORDER BY sequence")
        ]
        return rows
    finally:
        connection.close()


def files_of(path: Path) -> dict[str, bytes]:
    """The bytes of a state file and of whatever SQLite keeps beside it."""
    return {
        sibling.name: sibling.read_bytes()
        for sibling in path.parent.iterdir()
        if sibling.name.startswith(path.name)
    }


def same_state(dumped: bytes) -> list[str]:
    """A dump with aliases in name order: a state file keeps no order of their making,
    which no call shows (ListAliases sorts by name)."""
    lines = dumped.decode().splitlines()
    for at, line in enumerate(lines):
        if line.startswith("  aliases of "):
            head, _, names = line.partition(" [")
            lines[at] = f"{head} {sorted(ast.literal_eval('[' + names))}"
    aliases = sorted(at for at, line in enumerate(lines) if line.startswith("  alias "))
    for at, line in zip(aliases, sorted(lines[at] for at in aliases), strict=True):
        lines[at] = line
    return lines


def varied_workload(kms: MockKMS, clock: FrozenClock) -> dict[str, Any]:
    """Calls of every family that changes state; returns what later checks need."""
    client, europe = client_of(), client_of(EUROPE)
    kms.principals.register(ROLE)
    kms.iam.attach(ROLE, DECRYPT_ONLY)
    rotating = client.create_key(Description="rotating")["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=rotating, RotationPeriodInDays=90)
    client.rotate_key_on_demand(KeyId=rotating)
    blob = client.encrypt(KeyId=rotating, Plaintext=b"before")["CiphertextBlob"]
    client.create_alias(AliasName="alias/rotating", TargetKeyId=rotating)
    client.create_alias(AliasName="alias/moving", TargetKeyId=rotating)
    client.tag_resource(
        KeyId=rotating,
        Tags=[{"TagKey": "team", "TagValue": "a"}, {"TagKey": "gone", "TagValue": "x"}],
    )
    client.untag_resource(KeyId=rotating, TagKeys=["gone"])
    grant = client.create_grant(KeyId=rotating, GranteePrincipal=ROLE, Operations=["Decrypt"])
    retired = client.create_grant(
        KeyId=rotating,
        GranteePrincipal=ROLE,
        Operations=["Encrypt"],
        Constraints={"EncryptionContextSubset": {"app": "x"}},
    )
    client.retire_grant(GrantToken=retired["GrantToken"])
    other = client.create_key(Description="other")["KeyMetadata"]["KeyId"]
    client.update_alias(AliasName="alias/moving", TargetKeyId=other)
    client.put_key_policy(KeyId=other, Policy=json.dumps(_root_policy()))
    client.update_key_description(KeyId=other, Description="changed")
    client.disable_key(KeyId=other)
    signing = client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = client.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")[
        "Signature"
    ]
    mac = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    multi = client.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    client.enable_key_rotation(KeyId=multi)
    client.replicate_key(KeyId=multi, ReplicaRegion=EUROPE)
    europe.tag_resource(KeyId=multi, Tags=[{"TagKey": "where", "TagValue": "eu"}])
    external = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_key_material(
        client, external, bytes(range(32)), ValidTo=clock.now() + _dt.timedelta(days=30)
    )
    doomed = client.create_key()["KeyMetadata"]["KeyId"]
    client.create_alias(AliasName="alias/doomed", TargetKeyId=doomed)
    client.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    pending = client.create_key()["KeyMetadata"]["KeyId"]
    client.schedule_key_deletion(KeyId=pending, PendingWindowInDays=30)
    client.describe_key(KeyId="alias/aws/s3")  # makes the AWS managed key
    store_id = client.create_custom_key_store(
        CustomKeyStoreName="hsm",
        CloudHsmClusterId="cluster-234abcdefgh",
        TrustAnchorCertificate="-----BEGIN CERTIFICATE-----",
        KeyStorePassword="kmsuser-password",
    )["CustomKeyStoreId"]
    client.connect_custom_key_store(CustomKeyStoreId=store_id)
    clock.advance(days=8)  # the doomed key goes; the store is connected
    in_store = client.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    client.disconnect_custom_key_store(CustomKeyStoreId=store_id)  # under way: an event
    return {
        "rotating": rotating,
        "blob": blob,
        "grant": grant["GrantId"],
        "signing": signing,
        "signature": signature,
        "mac": mac["KeyId"],
        "multi": multi,
        "external": external,
        "in_store": in_store["KeyMetadata"]["KeyId"],
    }


def _root_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


@pytest.fixture
def saved(path: Path, tmp_path: Path) -> tuple[bytes, dict[str, Any], list[dict[str, Any]]]:
    """The varied workload run in a mock with a state file: its dump, ids and audit log.

    The mock's whole state is saved to ``whole.db`` beside it, at the end.
    """
    clock = FrozenClock(START)
    with mock_kms(clock=clock, seed=5, state=path) as kms:
        made = varied_workload(kms, clock)
        before = dump(kms)
        audit = kms.audit_log
        kms.save(tmp_path / "whole.db")
    return before, made, audit


# -- what a restart gives back ------------------------------------------------------------------


def test_a_restart_gives_back_the_whole_state(
    path: Path, saved: tuple[bytes, dict[str, Any], list[dict[str, Any]]]
) -> None:
    before, made, audit = saved
    with mock_kms(clock=FrozenClock(START), seed=5, state=path) as kms:
        assert same_state(dump(kms)) == same_state(before)  # keys, aliases, stores, events
        assert kms.audit_log == audit
        assert kms.clock.now() == _dt.datetime(2025, 1, 9, tzinfo=_dt.UTC)  # where it stood
        assert kms.principals.get(kms.principals.register(ROLE)["aws_access_key_id"])
        assert kms.iam.attached(ROLE) == [json.dumps(DECRYPT_ONLY)]
        client = client_of()
        assert client.decrypt(CiphertextBlob=made["blob"])["Plaintext"] == b"before"
        assert client.verify(
            KeyId=made["signing"],
            Message=b"m",
            Signature=made["signature"],
            SigningAlgorithm="RSASSA_PSS_SHA_256",
        )["SignatureValid"]


def test_writing_change_by_change_holds_what_a_whole_save_holds(
    path: Path, tmp_path: Path, saved: tuple[bytes, dict[str, Any], list[dict[str, Any]]]
) -> None:
    # Each call wrote only what it changed: the sum is the state, nothing missing.
    assert contents(path) == contents(tmp_path / "whole.db")


def test_time_that_passed_while_stopped_happens_on_the_scheduled_dates(
    path: Path, saved: tuple[bytes, dict[str, Any], list[dict[str, Any]]]
) -> None:
    _, made, _ = saved
    with mock_kms(clock=FrozenClock("2026-01-01T00:00:00Z"), seed=5, state=path) as kms:
        rotations = client_of().list_key_rotations(KeyId=made["rotating"])["Rotations"]
        automatic = [
            entry["RotationDate"] for entry in rotations if entry["RotationType"] == "AUTOMATIC"
        ]
        # Enabled on 2025-01-01 with 90 days: every 90 days from then, none skipped.
        assert [date.date().isoformat() for date in automatic] == [
            "2025-04-01",
            "2025-06-30",
            "2025-09-28",
            "2025-12-27",
        ]
        deleted = [e for e in kms.audit_log if e["eventName"] == "DeleteKey"]
        assert [e["eventTime"] for e in deleted] == ["2025-01-08T00:00:00Z", "2025-01-31T00:00:00Z"]


def test_the_same_seed_goes_on_where_the_saved_stream_stood(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), seed=9):
        uninterrupted = [client_of().create_key()["KeyMetadata"]["KeyId"] for _ in range(4)]
    with mock_kms(clock=FrozenClock(START), seed=9, state=path):
        first = [client_of().create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
    with mock_kms(clock=FrozenClock(START), seed=9, state=path):
        then = [client_of().create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
    assert first + then == uninterrupted


def test_a_thousand_rotated_keys_with_aliases_survive_a_restart(path: Path) -> None:
    clock = FrozenClock(START)
    with mock_kms(clock=clock, state=path) as kms:
        client = client_of()
        blobs = {}
        for number in range(1000):
            key_id = client.create_key()["KeyMetadata"]["KeyId"]
            client.create_alias(AliasName=f"alias/key-{number:04}", TargetKeyId=key_id)
            if number % 2:
                client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
            blobs[key_id] = client.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
        clock.advance(days=200)  # 500 keys rotate twice
        before = dump(kms)
        listing = client.list_aliases(Limit=100)["Aliases"]
    with mock_kms(clock=FrozenClock(START), state=path) as kms:
        assert same_state(dump(kms)) == same_state(before)
        client = client_of()
        assert client.list_aliases(Limit=100)["Aliases"] == listing
        for key_id, blob in list(blobs.items())[:50]:
            assert client.decrypt(CiphertextBlob=blob)["KeyId"].endswith(key_id)


def test_a_clock_moves_to_where_the_saved_one_stood_never_back(path: Path) -> None:
    frozen = FrozenClock(START)
    with mock_kms(clock=frozen, state=path):
        frozen.advance(days=3)
    restarted = FrozenClock(START)
    with mock_kms(clock=restarted, state=path):
        assert restarted.now() == _dt.datetime(2025, 1, 4, tzinfo=_dt.UTC)
    later = FrozenClock("2030-01-01T00:00:00Z")
    with mock_kms(clock=later, state=path):
        assert later.now() == _dt.datetime(2030, 1, 1, tzinfo=_dt.UTC)
    system = SystemClock()
    with mock_kms(clock=system, state=path.with_name("system.db")):
        system.advance(days=400)
    again = SystemClock()
    with mock_kms(clock=again, state=path.with_name("system.db")):
        assert repr(again) == "SystemClock(offset=400 days, 0:00:00)"


# -- writes ---------------------------------------------------------------------------------------


def test_reads_and_failed_calls_write_nothing(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path):
        client = client_of()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        written = files_of(path)
        blob = client.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
        client.decrypt(CiphertextBlob=blob)
        client.describe_key(KeyId=key_id)
        client.list_keys()
        excinfo = raises(lambda: client.disable_key(KeyId="alias/none"))
        assert error_of(excinfo)[0] == "NotFoundException"
        assert files_of(path) == written
        client.disable_key(KeyId=key_id)
        assert files_of(path) != written


def test_the_last_use_a_read_made_is_written_with_the_next_change(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path):
        client = client_of()
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.encrypt(KeyId=key_id, Plaintext=b"x")
        used = client.get_key_last_usage(KeyId=key_id)
    with mock_kms(clock=FrozenClock(START), state=path):
        again = client_of().get_key_last_usage(KeyId=key_id)
        assert again["KeyLastUsage"] == used["KeyLastUsage"]


def test_reset_empties_the_file(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path) as kms:
        client_of().create_key()
        kms.reset()
        assert client_of().list_keys()["Keys"] == []
    with mock_kms(clock=FrozenClock(START), state=path):
        assert client_of().list_keys()["Keys"] == []
    assert contents(path)["keys"] == []


def test_reset_of_a_read_only_mock_empties_it_and_not_the_file(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path):
        client_of().create_key()
    written = files_of(path)
    with mock_kms(clock=FrozenClock(START), state=path, state_read_only=True) as kms:
        kms.reset()
        assert client_of().list_keys()["Keys"] == []
    assert files_of(path) == written


def test_save_writes_a_file_a_new_mock_starts_from(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), seed=3) as kms:
        key_id = client_of().create_key(Description="prepared")["KeyMetadata"]["KeyId"]
        before = dump(kms)
    kms.save(path)  # after stop(): the last activation's state
    with mock_kms(clock=FrozenClock(START), seed=3, state=path) as kms:
        assert same_state(dump(kms)) == same_state(before)
        assert client_of().describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "prepared"


def test_save_to_the_file_in_use_writes_everything_to_it(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path) as kms:
        client_of().create_key()
        kms.save(path)
    assert len(contents(path)["keys"]) == 1


# -- read-only -----------------------------------------------------------------------------------


def test_read_only_serves_the_file_and_changes_stay_in_memory(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path):
        key_id = client_of().create_key()["KeyMetadata"]["KeyId"]
    written = files_of(path)
    for _ in range(2):  # each activation starts from the file again
        clock = FrozenClock(START)
        with mock_kms(clock=clock, state=path, state_read_only=True):
            client = client_of()
            assert [key["KeyId"] for key in client.list_keys()["Keys"]] == [key_id]
            client.create_key()
            client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
            clock.advance(days=8)
            assert len(client.list_keys()["Keys"]) == 1
    assert files_of(path) == written


def test_read_only_needs_a_file(path: Path) -> None:
    message = (
        f"there is no kms_mock state to serve read-only at {path}: save one first "
        "(kms.save(path), or a run with state=path)."
    )
    with pytest.raises(UsageError, match=exactly(message)):
        mock_kms(state=path, state_read_only=True).start()
    assert not path.exists()


# -- files kms_mock refuses ----------------------------------------------------------------------

ADVICE = (
    "; kms_mock leaves the file as it is. Pass the path of a kms_mock state file, or of a "
    "file that does not exist yet."
)


def _sqlite_file(path: Path, application_id: int, user_version: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA application_id={application_id}")
    connection.execute(f"PRAGMA user_version={user_version}")
    connection.execute("CREATE TABLE things (name TEXT)")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (
            lambda path: path.write_bytes(b"name,value\nkey,1\n" * 20),
            "is not a kms_mock state file (not an SQLite database)",
        ),
        (
            lambda path: _sqlite_file(path, 0, 0),
            "is an SQLite database of another application (application_id 0x0)",
        ),
        (
            lambda path: _sqlite_file(path, APPLICATION_ID, FORMAT_VERSION + 1),
            f"was written by a newer kms_mock (state format {FORMAT_VERSION + 1}; this kms_mock "
            f"reads format {FORMAT_VERSION} and older): upgrade kms_mock to use it",
        ),
    ],
    ids=["foreign", "another-sqlite-application", "newer"],
)
@pytest.mark.parametrize("read_only", [False, True])
def test_a_file_kms_mock_cannot_read_is_refused_and_left_as_it_is(
    path: Path, make: Any, problem: str, read_only: bool
) -> None:
    make(path)
    written = files_of(path)
    with pytest.raises(UsageError, match=exactly(f"{path} {problem}{ADVICE}")):
        mock_kms(state=path, state_read_only=read_only).start()
    with mock_kms() as kms, pytest.raises(UsageError, match=exactly(f"{path} {problem}{ADVICE}")):
        kms.save(path)
    assert files_of(path) == written


def test_a_corrupt_file_is_refused_and_left_as_it_is(path: Path) -> None:
    with mock_kms(clock=FrozenClock(START), state=path):
        client_of().create_key()
    data = bytearray(path.read_bytes())
    data[len(data) // 2 :] = b"\xff" * (len(data) - len(data) // 2)  # the pages, not the header
    path.write_bytes(bytes(data))
    written = files_of(path)
    with pytest.raises(UsageError, match=f"^{path} is corrupt \\(DatabaseError: "):
        mock_kms(state=path).start()
    with mock_kms() as kms, pytest.raises(UsageError, match=f"^{path} is corrupt \\("):
        kms.save(path)
    assert files_of(path) == written


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [("meta", "value", "name = 'principals'"), ("keys", "document", "1")],
    ids=["meta", "key"],
)
def test_a_row_nested_deeper_than_json_goes_is_corrupt(
    path: Path, table: str, column: str, row: str
) -> None:
    with mock_kms(clock=FrozenClock(START), state=path):
        client_of().create_key()
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        deep = "[" * 100_000 + "]" * 100_000
        connection.execute(f"UPDATE {table} SET {column} = ? WHERE {row}", (deep,))
    written = files_of(path)
    with pytest.raises(UsageError, match=f"^{path} is corrupt \\(RecursionError: "):
        mock_kms(state=path).start()
    assert files_of(path) == written


def test_another_accounts_file_is_refused(path: Path) -> None:
    with mock_kms(account_id="111122223333", state=path):
        pass
    message = (
        f"the state file {path} holds the state of account 111122223333, and this mock's "
        f"account is {ACCOUNT}: pass account_id='111122223333' (--account-id 111122223333) "
        "to use it."
    )
    with pytest.raises(UsageError, match=exactly(message)):
        mock_kms(state=path).start()


def test_a_file_in_use_by_another_mock_is_refused(path: Path) -> None:
    message = (
        f"cannot use the state file {path}: database is locked (is another kms_mock using it?)"
    )
    with mock_kms(state=path), pytest.raises(UsageError, match=exactly(message)):
        mock_kms(state=path).start()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"state": 7},
            "state=7 must be the path of a state file (a str or a pathlib.Path), such as "
            "'kms-state.db', or None to keep the state in memory only.",
        ),
        (
            {"state_read_only": True},
            "state_read_only=True needs a state file to read: pass state='path/to/file.db' too.",
        ),
        (
            {"state": "x.db", "state_read_only": "yes"},
            "state_read_only='yes' must be True (load the state file, never write to it) or False.",
        ),
    ],
)
def test_bad_state_settings_are_usage_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=exactly(message)):
        mock_kms(**settings)
