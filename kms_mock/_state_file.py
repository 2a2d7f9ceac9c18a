"""A mock's state in one SQLite file: checked, loaded, and written change by change.

The file is refused, and never written to, unless it is new or a kms_mock state
file of a format this kms_mock reads: SQLite's header carries kms_mock's
``application_id`` and the format version (``user_version``), so the check reads
100 bytes. WAL mode with ``synchronous=NORMAL``: a commit is in the file before
the call it belongs to is answered, so a process that is killed loses nothing
it acknowledged (an OS crash may lose the last commits). The file stays locked
(``locking_mode=EXCLUSIVE``) while a mock uses it: one writer, and no
shared-memory index beside it.

What a commit writes is what changed: the units the backend's ``Changes`` name
(a key with its multi-Region relatives, an alias, a Region's own rows) are
encoded again and compared with what the file holds (kept in memory as
``_image``); only rows that differ are written, and rows of a unit that are
gone are deleted.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Final

from ._audit import AuditRecord
from ._clock import Clock, FrozenClock, SystemClock
from ._errors import UsageError
from ._key_stores import CustomKeyStore
from ._models import Key
from ._state_rows import (
    PRIMARY_KEYS,
    SCHEMA,
    Loader,
    RowId,
    Rows,
    SecretCodec,
    alias_rows,
    audit_record,
    audit_text,
    family_rows,
    region_rows,
)
from ._store import Backend, Changes

#: SQLite's ``application_id`` of a kms_mock state file: "KMSM".
APPLICATION_ID: Final = 0x4B4D534D
#: The format this kms_mock writes; it reads this one and older ones.
FORMAT_VERSION: Final = 1

_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_HEADER_SIZE: Final = 100
# Where SQLite's header keeps user_version and application_id (big-endian), per
# "Database File Format" (https://www.sqlite.org/fileformat.html#the_database_header).
_USER_VERSION_AT: Final = 60
_APPLICATION_ID_AT: Final = 68
# A second mock opening a file another one holds fails at once rather than waiting.
_LOCK_TIMEOUT_SECONDS: Final = 0.1

Unit = tuple[str, ...]


def _problem(path: Path, problem: str) -> UsageError:
    return UsageError(
        f"{path} {problem}; kms_mock leaves the file as it is. Pass the path of a kms_mock "
        "state file, or of a file that does not exist yet."
    )


def _header_version(path: Path) -> int | None:
    """The file's format version (None: a new or empty file); a file kms_mock must not
    touch is a UsageError that says why."""
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UsageError(f"cannot read the state file {path}: {error.strerror}") from None
    if not header:
        return None
    if not header.startswith(_SQLITE_MAGIC) or len(header) < _HEADER_SIZE:
        raise _problem(path, "is not a kms_mock state file (not an SQLite database)")
    application = int.from_bytes(header[_APPLICATION_ID_AT : _APPLICATION_ID_AT + 4], "big")
    version = int.from_bytes(header[_USER_VERSION_AT : _USER_VERSION_AT + 4], "big")
    if application == 0 and _has_no_tables(path):
        return None  # an empty SQLite database, as sqlite3.connect makes one
    if application != APPLICATION_ID:
        raise _problem(
            path, f"is an SQLite database of another application (application_id {application:#x})"
        )
    if version > FORMAT_VERSION:
        raise _problem(
            path,
            f"was written by a newer kms_mock (state format {version}; this kms_mock reads "
            f"format {FORMAT_VERSION} and older): upgrade kms_mock to use it",
        )
    if version < 1:
        raise _problem(path, f"is corrupt (state format {version})")
    return version


def _has_no_tables(path: Path) -> bool:
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            tables: int = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            return tables == 0
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise _problem(path, f"is corrupt ({error})") from None


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    target = f"{path.as_uri()}?mode=ro" if read_only else str(path)
    try:
        connection = sqlite3.connect(
            target,
            uri=read_only,
            isolation_level=None,  # transactions are begun and committed here
            check_same_thread=False,  # used by whichever thread holds the backend's lock
            timeout=_LOCK_TIMEOUT_SECONDS,
        )
    except sqlite3.Error as error:
        raise UsageError(f"cannot open the state file {path}: {error}") from None
    try:
        if not read_only:
            # Before the first access: then WAL needs no shared-memory file beside the
            # database, and the lock is held until the file is closed.
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        connection.close()
        raise UsageError(
            f"cannot use the state file {path}: {error} (is another kms_mock using it?)"
        ) from None
    return connection


class StateFile:
    """One state file, open while a mock uses it: :meth:`load` it, :meth:`attach` a backend.

    ``read_only``: loaded, never written (the file is closed once loaded).
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = self.resolve(path)
        self.read_only = read_only
        version = _header_version(self.path)
        if version is None and read_only:
            raise UsageError(
                f"there is no kms_mock state to serve read-only at {self.path}: save one "
                "first (kms.save(path), or a run with state=path)."
            )
        self._connection: sqlite3.Connection | None = _connect(self.path, read_only=read_only)
        # Whether this kms_mock wrote to the file (then it leaves it as one file, no WAL).
        self._written = False
        if version is None:
            self._create()
            self._written = True
        self._image: Rows = {}
        self._unit_rows: dict[Unit, set[RowId]] = {}
        self._family_regions: dict[tuple[str, str], list[str]] = {}
        self._secrets = SecretCodec()
        self._audit_next = 1
        self._statements = {table: _statements(table) for table in SCHEMA}

    @staticmethod
    def resolve(path: str | os.PathLike[str]) -> Path:
        """The absolute path a state file at ``path`` has."""
        return Path(os.fsdecode(path)).absolute()

    def __repr__(self) -> str:
        return f"<StateFile {self.path}{' read-only' if self.read_only else ''}>"

    @property
    def connection(self) -> sqlite3.Connection:
        """The open database (a UsageError once closed)."""
        if self._connection is None:
            raise UsageError(f"the state file {self.path} is closed.")
        return self._connection

    def _create(self) -> None:
        connection = self.connection
        # Written to the database file itself, before WAL: the header says what the file is
        # even while its tables are only in the WAL (a process killed before a checkpoint).
        connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version={FORMAT_VERSION}")
        connection.execute("BEGIN")
        for table, columns in SCHEMA.items():
            keys = ", ".join(column.split()[0] for column in columns[: PRIMARY_KEYS[table]])
            connection.execute(
                f"CREATE TABLE {table} ({', '.join(columns)}, PRIMARY KEY ({keys})) WITHOUT ROWID"
            )
        connection.execute("CREATE TABLE audit_log (sequence INTEGER PRIMARY KEY, record TEXT)")
        connection.execute("COMMIT")

    # -- loading --------------------------------------------------------------------------

    def load(self, backend: Backend) -> dict[str, Any] | None:
        """Put the file's state into the empty ``backend``; the saved clock's document
        (for :func:`restore_clock`), or None when nothing was saved yet."""
        # Loading makes a few objects per row and none is garbage: the collector's passes
        # over them would cost a third of the time.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._load(backend)
        except (
            sqlite3.DatabaseError,
            ValueError,
            KeyError,
            TypeError,
            IndexError,
            RecursionError,  # a JSON document nested deeper than the parser goes
        ) as error:
            raise _problem(self.path, f"is corrupt ({type(error).__name__}: {error})") from None
        finally:
            if collecting:
                gc.enable()

    def _load(self, backend: Backend) -> dict[str, Any] | None:
        connection = self.connection
        meta = dict(connection.execute("SELECT name, value FROM meta"))
        for name, value in meta.items():
            self._remember(("meta",), ("meta", (name,)), (value,))
        if not meta:
            return None  # new: nothing saved yet
        _check_account(self.path, json.loads(meta["account_id"]), backend.account_id)
        backend.material_id_salt = bytes.fromhex(json.loads(meta["material_id_salt"]))
        if backend.seed is not None and json.loads(meta["seed"]) == backend.seed:
            # The same stream, where it stood: new ids never repeat saved ones.
            state = json.loads(meta["entropy"])
            backend.entropy.move_to((state[0], tuple(state[1]), state[2]))
        self._load_configuration(backend, meta)
        loader = Loader(backend)
        self._load_rows(loader)
        backend.restore(loader.finish())
        self._load_audit(backend, json.loads(meta["audit_dropped"]))
        clock: dict[str, Any] = json.loads(meta["clock"])
        return clock

    def _load_configuration(self, backend: Backend, meta: dict[str, str]) -> None:
        for access_key_id, arn in json.loads(meta["principals"]).items():
            if backend.principals.get(access_key_id) is None:
                backend.principals.register(arn, access_key_id)
        attached = backend.identity_policies
        for arn, texts in json.loads(meta["identity_policies"]).items():
            for text in texts:
                if text not in attached.attached(arn):
                    attached.attach(arn, text)

    def _load_rows(self, loader: Loader) -> None:
        connection = self.connection
        for account, region, position, next_sequence in connection.execute(
            "SELECT * FROM regions ORDER BY position"
        ):
            self._remember(
                ("region", account, region),
                ("regions", (account, region)),
                (position, next_sequence),
            )
            loader.region(account, region, next_sequence)
        for account, region, store_id, text in connection.execute("SELECT * FROM key_stores"):
            row = ("key_stores", (account, region, store_id))
            self._remember(("region", account, region), row, (text,))
            loader.key_store(account, region, store_id, text)
        materials: dict[tuple[str, str], list[Any]] = {}
        for account, key_id, material_id, *values in connection.execute("SELECT * FROM materials"):
            materials.setdefault((account, key_id), []).append((material_id, *values))
        for account, key_id, text in connection.execute("SELECT * FROM keys"):
            family = materials.pop((account, key_id), [])
            regions = loader.family(account, key_id, text, family)
            self._remember_family(account, key_id, text, family, regions)
        for account, region, name, *values in connection.execute("SELECT * FROM aliases"):
            row = ("aliases", (account, region, name))
            self._remember(("alias", account, region, name), row, tuple(values))
            loader.alias(account, region, name, *values)

    def _remember_family(
        self, account: str, key_id: str, text: str, materials: list[Any], regions: list[str]
    ) -> None:
        unit = ("key", account, key_id)
        self._remember(unit, ("keys", (account, key_id)), (text,))
        for material_id, *values in materials:
            values[2:] = [None if blob is None else bytes(blob) for blob in values[2:]]
            self._remember(unit, ("materials", (account, key_id, material_id)), tuple(values))
        self._family_regions[(account, key_id)] = regions

    def _load_audit(self, backend: Backend, dropped: int) -> None:
        rows = self.connection.execute("SELECT sequence, record FROM audit_log ORDER BY sequence")
        records = []
        for sequence, text in rows:
            records.append(audit_record(text))
            self._audit_next = sequence + 1
        records.sort(key=lambda record: record.when)  # stable: ties keep their order of arrival
        backend.audit.restore(records, dropped)

    def _remember(self, unit: Unit, row: RowId, values: tuple[Any, ...]) -> None:
        self._image[row] = values
        self._unit_rows.setdefault(unit, set()).add(row)

    # -- writing --------------------------------------------------------------------------

    def attach(self, backend: Backend) -> None:
        """Write every change of ``backend`` from now on (its ``commit`` calls :meth:`commit`)."""
        # The first write: a file that loaded is no corrupt one kms_mock must leave alone.
        self.connection.execute("PRAGMA journal_mode=WAL")
        self._written = True
        # The backend holds what the file held (or nothing): only meta may differ (the clock).
        backend.persist_to(self)
        backend.commit(everything=True)

    def commit(self, backend: Backend) -> None:
        """Write what ``backend.changes`` names and the journals hold, in one transaction."""
        changes = backend.changes
        assert changes is not None
        audit = backend.audit
        journal = audit.journal or []
        if audit.journal_out_of_order:
            # Rows dropped by arrival would no longer be the records the log keeps.
            self._commit(backend, changes, list(audit.records), replace_audit=True)
            audit.journal_out_of_order = False
        else:
            self._commit(backend, changes, journal)
        journal.clear()
        changes.clear()

    def snapshot(self, backend: Backend) -> None:
        """Replace what the file holds by ``backend``'s whole state (``kms.save``)."""
        try:
            problems = [row[0] for row in self.connection.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems != ["ok"]:
            raise _problem(self.path, f"is corrupt ({problems[0]})")
        self._written = True
        self.clear()
        changes = Changes()
        _note_everything(backend, changes)
        self._commit(backend, changes, list(backend.audit.records))

    def _commit(
        self,
        backend: Backend,
        changes: Changes,
        journal: list[AuditRecord],
        *,
        replace_audit: bool = False,
    ) -> None:
        """Write what ``changes`` names and append ``journal`` (``replace_audit``: it is
        the whole log, written in place of the rows the file holds)."""
        units = self._units(backend, changes)
        writes: Rows = {}
        deletes: list[RowId] = []
        for unit, rows in units.items():
            self._diff(unit, rows, writes, deletes)
        self._write(writes, deletes, journal, backend.audit.limit, replace_audit)
        self._settle(units, writes, deletes)

    def _units(self, backend: Backend, changes: Changes) -> dict[Unit, Rows]:
        """The rows, as they are now, of every unit ``changes`` names (and of meta)."""
        units: dict[Unit, Rows] = {("meta",): self._meta_rows(backend)}
        families: dict[tuple[str, str], set[str]] = {}
        for account, region, key_id in changes.touched_keys():
            families.setdefault((account, key_id), set()).add(region)
        regions = set(changes.regions)
        for subject in changes.events:
            if isinstance(subject, Key):
                families.setdefault((subject.account_id, subject.key_id), set()).add(subject.region)
            elif isinstance(subject, CustomKeyStore):
                regions.update(_region_of(backend, subject))
        for (account, key_id), hinted in families.items():
            units[("key", account, key_id)] = self._family(backend, account, key_id, hinted)
        for account, region, name in changes.aliases:
            alias = backend.region_store(account, region).aliases.get(name)
            rows = {} if alias is None else alias_rows(account, region, alias)
            units[("alias", account, region, name)] = rows
        kept = backend.region_stores() if regions else []
        positions = {(store.account_id, store.region): at for at, store in enumerate(kept)}
        for account, region in regions:
            position = positions.get((account, region))  # None: a store no call kept
            store = backend.region_store(account, region)
            rows = {} if position is None else region_rows(store, position)
            units[("region", account, region)] = rows
        return units

    def _family(self, backend: Backend, account: str, key_id: str, hinted: set[str]) -> Rows:
        members: list[Key] = []
        for region in [*hinted, *self._family_regions.get((account, key_id), ())]:
            key = backend.key(account, region, key_id)
            if key is not None:
                members = key.material_holders
                break
        if not members:
            self._family_regions.pop((account, key_id), None)
            return {}
        self._family_regions[(account, key_id)] = [member.region for member in members]
        return family_rows(members, self._secrets)

    def _diff(self, unit: Unit, rows: Rows, writes: Rows, deletes: list[RowId]) -> None:
        image = self._image
        for row, values in rows.items():
            if image.get(row) != values:
                writes[row] = values
        for row in self._unit_rows.get(unit, ()):
            if row not in rows:
                deletes.append(row)

    def _write(
        self,
        writes: Rows,
        deletes: list[RowId],
        journal: list[Any],
        audit_limit: int | None,
        replace_audit: bool,
    ) -> None:
        if not (writes or deletes or journal or replace_audit):
            return
        connection = self.connection
        connection.execute("BEGIN")
        try:
            for (table, key), values in writes.items():
                connection.execute(self._statements[table][0], (*key, *values))
            for table, key in deletes:
                connection.execute(self._statements[table][1], key)
            if replace_audit:
                connection.execute("DELETE FROM audit_log")
            if journal:
                self._append_audit(connection, journal, audit_limit)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _append_audit(
        self, connection: sqlite3.Connection, journal: list[Any], audit_limit: int | None
    ) -> None:
        first = self._audit_next
        connection.executemany(
            "INSERT INTO audit_log VALUES (?, ?)",
            [(first + offset, audit_text(record)) for offset, record in enumerate(journal)],
        )
        self._audit_next = first + len(journal)
        if audit_limit is not None:
            connection.execute(
                "DELETE FROM audit_log WHERE sequence < ?", (self._audit_next - audit_limit,)
            )

    def _settle(self, units: dict[Unit, Rows], writes: Rows, deletes: list[RowId]) -> None:
        """The file holds what was written: the image says so."""
        self._image.update(writes)
        for row in deletes:
            del self._image[row]
            self._secrets.forget(row)
        for unit, rows in units.items():
            if rows:
                self._unit_rows[unit] = set(rows)
            else:
                self._unit_rows.pop(unit, None)

    def _meta_rows(self, backend: Backend) -> Rows:
        clock = _clock_document(backend.clock)
        values = {
            "application": "kms_mock state",
            "account_id": backend.account_id,
            "seed": backend.seed,
            "material_id_salt": backend.material_id_salt.hex(),
            "clock": clock,
            "entropy": backend.entropy.position(),
            "principals": backend.principals.registrations(),
            "identity_policies": backend.identity_policies.attachments(),
            "audit_dropped": backend.audit.dropped,
        }
        return {("meta", (name,)): (json.dumps(value),) for name, value in values.items()}

    def clear(self) -> None:
        """Empty the file (a reset mock): every table but meta."""
        connection = self.connection
        connection.execute("BEGIN")
        for table in [*SCHEMA, "audit_log"]:
            if table != "meta":
                connection.execute(f"DELETE FROM {table}")
        connection.execute("COMMIT")
        self._image = {row: values for row, values in self._image.items() if row[0] == "meta"}
        self._unit_rows = {("meta",): self._unit_rows.get(("meta",), set())}
        self._family_regions.clear()

    def close(self) -> None:
        """Close the file (idempotent): one file again, that read-only mocks and any SQLite
        tool can open (the WAL folded into it)."""
        if self._connection is not None:
            if self._written:
                self._connection.execute("PRAGMA journal_mode=DELETE")
            self._connection.close()
            self._connection = None


def _note_everything(backend: Backend, changes: Changes) -> None:
    for store in backend.region_stores():
        account, region = store.account_id, store.region
        changes.regions.add((account, region))
        changes.keys.update((account, region, key_id) for key_id in store.keys)
        changes.aliases.update((account, region, name) for name in store.aliases)


def _statements(table: str) -> tuple[str, str]:
    columns = SCHEMA[table]
    keys = [column.split()[0] for column in columns[: PRIMARY_KEYS[table]]]
    marks = ", ".join("?" * len(columns))
    where = " AND ".join(f"{key} = ?" for key in keys)
    return (
        f"INSERT OR REPLACE INTO {table} VALUES ({marks})",
        f"DELETE FROM {table} WHERE {where}",
    )


def _region_of(backend: Backend, key_store: CustomKeyStore) -> list[tuple[str, str]]:
    return [
        (store.account_id, store.region)
        for store in backend.region_stores()
        if store.key_stores.get(key_store.store_id) is key_store
    ]


def _check_account(path: Path, saved: str, account_id: str) -> None:
    if saved != account_id:
        raise UsageError(
            f"the state file {path} holds the state of account {saved}, and this mock's "
            f"account is {account_id}: pass account_id={saved!r} (--account-id {saved}) to "
            "use it."
        )


def _clock_document(clock: Clock) -> dict[str, Any]:
    now = clock.now().isoformat()
    if isinstance(clock, SystemClock):
        offset = clock._checkpoint()  # the offset advance() added to real time
        assert isinstance(offset, _dt.timedelta)
        return {"kind": "system", "now": now, "offset_seconds": offset.total_seconds()}
    return {"kind": "frozen" if isinstance(clock, FrozenClock) else "other", "now": now}


def restore_clock(path: Path, clock: Clock, saved: dict[str, Any]) -> None:
    """Move ``clock`` forward to where the saved one stood (a system clock: by its offset).

    Never backward: a clock that stands later stays, and the events due in between
    happen at its next reading, each on its scheduled date.
    """
    if saved["kind"] == "system" and isinstance(clock, SystemClock):
        offset = _dt.timedelta(seconds=saved["offset_seconds"])
        current = clock._checkpoint()
        assert isinstance(current, _dt.timedelta)
        if offset > current:
            clock.advance(offset - current)
        return
    target = _dt.datetime.fromisoformat(saved["now"])
    now = clock.now()
    if now >= target:
        return
    if isinstance(clock, FrozenClock):
        clock.move_to(target)
    elif isinstance(clock, SystemClock):
        clock.advance(target - now)
    else:
        raise UsageError(
            f"the state file {path} was saved at {target.isoformat()}, and this mock's clock "
            f"{clock!r} stands earlier and cannot be moved: pass a FrozenClock or a SystemClock."
        )


__all__ = ["APPLICATION_ID", "FORMAT_VERSION", "StateFile", "restore_clock"]
