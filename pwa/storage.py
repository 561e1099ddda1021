"""Where the data lives: telling storage faults from bugs, the health probe, private files.

A database that is read-only, full, locked past the busy timeout or gone is not a bug in the
request: the right answer is "503, try again shortly", and an honest /healthz. Files in
instance/ hold patients' data and the installation's keys, so only the app's own user may
read them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

RETRY_AFTER_SECONDS = 30

# SQLite's primary result codes that mean the storage, not the statement, is at fault.
_SQLITE_FAULTS = {
    5: "locked",  # SQLITE_BUSY: another writer held the lock past the busy timeout
    6: "locked",  # SQLITE_LOCKED
    8: "read_only",  # SQLITE_READONLY
    10: "io_error",  # SQLITE_IOERR
    13: "full",  # SQLITE_FULL
    14: "unreachable",  # SQLITE_CANTOPEN
    15: "locked",  # SQLITE_PROTOCOL
}
# PostgreSQL SQLSTATEs (exact codes first, then classes) with the same meaning.
_POSTGRES_FAULTS = {
    "25006": "read_only",  # read_only_sql_transaction (a standby, or default read-only)
    "53100": "full",  # disk_full
    "55P03": "locked",  # lock_not_available (lock_timeout)
    "57014": "locked",  # query_canceled (statement_timeout)
    "08": "unreachable",  # connection exceptions
    "53": "overloaded",  # insufficient resources
    "57": "unreachable",  # operator intervention (shutdown, cannot connect now)
    "58": "io_error",  # system error
}


def storage_fault(error: BaseException) -> str | None:
    """What kind of storage fault `error` is ("read_only", "full", "locked", ...), or None
    when it is something else (a bug, a constraint), which stays a 500."""
    if isinstance(error, PoolTimeout):
        return "overloaded"
    if not isinstance(error, DBAPIError) or isinstance(error, IntegrityError):
        return None
    original = error.orig
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        return _SQLITE_FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(state, str):
        return _POSTGRES_FAULTS.get(state) or _POSTGRES_FAULTS.get(state[:2])
    if error.connection_invalidated or type(error).__name__ == "OperationalError":
        return "unreachable"  # e.g. PostgreSQL refusing the connection: no SQLSTATE at all
    return None


# --- The health probe --------------------------------------------------------------------------

# A SQLite database with fewer free pages than this under `PRAGMA max_page_count` is full.
MIN_FREE_PAGES = 16


def check_database(session: Session, now: datetime, min_free_bytes: int) -> str:
    """ "ok", or why the database cannot take a patient's entry right now.

    Reading is not enough: a read-only or full database answers SELECT 1 happily. So the probe
    writes one row (the same row every time) and commits it, and for SQLite it also looks at
    the room left on the disk and under max_page_count, since a small write can still fit in
    pages SQLite already has when a check-in no longer would.
    """
    from .models import HealthProbe

    try:
        session.execute(select(1))
        touched = session.execute(
            update(HealthProbe).where(HealthProbe.id == 1).values(checked_at=now)
        )
        if touched.rowcount == 0:  # type: ignore[attr-defined]
            session.add(HealthProbe(id=1, checked_at=now))
        session.commit()
    except IntegrityError:
        session.rollback()  # a parallel probe made the row first: the database took a write
    except (DBAPIError, PoolTimeout) as error:
        _rollback_quietly(session)
        return storage_fault(error) or "error"
    return _sqlite_room(session, min_free_bytes) or "ok"


def _sqlite_room(session: Session, min_free_bytes: int) -> str | None:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    connection = session.connection()
    page_count = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
    free_pages = connection.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
    max_pages = connection.exec_driver_sql("PRAGMA max_page_count").scalar() or 0
    session.rollback()
    if max_pages and max_pages - page_count + free_pages < MIN_FREE_PAGES:
        return "full"
    path = sqlite_path(str(bind.engine.url))
    if path is not None and shutil.disk_usage(path.parent).free < min_free_bytes:
        return "full"
    return None


def _rollback_quietly(session: Session) -> None:
    with contextlib.suppress(DBAPIError):  # the connection is gone; the pool replaces it
        session.rollback()


# --- Private files -----------------------------------------------------------------------------


def sqlite_path(uri: str) -> Path | None:
    """The file of a SQLite database URI, or None (in memory, or another database)."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = url.database
    if database.startswith("file:"):  # sqlite:///file:path?mode=ro&uri=true
        database = database[len("file:") :]
    return Path(database).resolve()


def private_database_file(uri: str) -> None:
    """A SQLite database file (and its -wal/-shm companions) readable by this user only."""
    path = sqlite_path(uri)
    if path is None or not path.parent.is_dir():
        return
    if "mode=ro" not in uri:
        private_file(path)
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():
            _tighten(companion, 0o600)


def private_directory(path: Path) -> None:
    """Creates `path` readable by this user only (0700), tightening an existing one."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)


def private_file(path: Path) -> None:
    """Makes sure `path` exists with mode 0600 before anyone writes to it.

    Creating it empty with O_EXCL first means no moment exists in which it is readable by
    others; SQLite gives its -wal and -shm files the database file's mode.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    _tighten(path, 0o600)


def write_private_text(path: Path, text: str) -> None:
    """Writes a new file readable by this user only, whole or not at all.

    The text goes to a temporary file first and is hard-linked to its name, so a process
    reading at the same moment never sees half of it. FileExistsError if `path` exists.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    try:
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            path.chmod(mode)
    except PermissionError:
        pass  # not ours (a packaged deployment): its owner decides
