"""The SQLite layout of a session file, and opening one safely.

Tables: ``meta`` (format version, manifest, end-of-recording marker), ``chunks`` (frames of
consecutive steps, keyed by their first step so that finding step t is one index seek),
``checkpoints``, ``events`` and ``annotations``. Every row carries a CRC-32 of its content, so
damage that SQLite itself cannot see (a flipped byte inside a blob or a caption) is reported
instead of replayed.

The file header identifies a session (SQLite magic + ``application_id``) and its format
(``user_version``, also kept in ``meta``: :data:`~.manifest.FORMAT_VERSION` for new files; older
formats are read, see :mod:`.codec`) before SQLite parses anything else, so a stranger file or a
newer format gets a precise error. Files are opened read-write at the SQLite level even for
reading: that lets SQLite finish the rollback journal or write-ahead log that a crashed recorder
left behind (the crash then costs only the unfinished chunk); readers then switch the connection
to query-only. The rows' checksums are zlib's CRC-32 in every format (compression is codec.py's).
"""

from __future__ import annotations

import contextlib
import sqlite3
import struct
import zlib
from pathlib import Path
from typing import Iterator

from .errors import CorruptSessionError, NewerFormatError, NotASessionError, SessionError
from .manifest import FORMAT_VERSION

APPLICATION_ID = 0x57425353  # "WBSS"
SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-journal", "-wal", "-shm")

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE chunks(first_step INTEGER PRIMARY KEY, count INTEGER NOT NULL,
                    scalars_crc INTEGER NOT NULL, scalars BLOB NOT NULL,
                    payload_crc INTEGER NOT NULL, payload BLOB NOT NULL);
CREATE TABLE checkpoints(step INTEGER PRIMARY KEY, reason TEXT NOT NULL, crc INTEGER NOT NULL,
                         structure BLOB NOT NULL, data BLOB NOT NULL);
CREATE TABLE events(id INTEGER PRIMARY KEY, step INTEGER NOT NULL, kind TEXT NOT NULL,
                    data TEXT NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE annotations(id INTEGER PRIMARY KEY, step INTEGER NOT NULL, caption TEXT NOT NULL,
                         view TEXT, crc INTEGER NOT NULL);
"""
TABLE_SQL = {statement.split("(")[0].split()[-1]: statement
             for statement in (part.strip() for part in SCHEMA.split(";")) if statement}


def row_crc(*fields: bytes | str | int | None) -> int:
    """CRC-32 over ``fields``, each length-prefixed so that no two field lists collide."""
    crc = 0
    for value in fields:
        data = value if isinstance(value, bytes) else b"\xff" if value is None else str(value).encode()
        crc = zlib.crc32(struct.pack("<Q", len(data)), crc)
        crc = zlib.crc32(data, crc)
    return crc


def check_crc(stored: int, what: str, *fields: bytes | str | int | None) -> None:
    if row_crc(*fields) != stored:
        raise CorruptSessionError(f"{what} is damaged (checksum mismatch)")


def check_header(path: Path) -> None:
    """Refuse, with the reason, a file that is missing, not a session, or of a newer format."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        raise SessionError(f"session file not found: {path}") from None
    except IsADirectoryError:
        raise NotASessionError(f"{path} is a folder, not a session file") from None
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror}") from None
    if not header.startswith(SQLITE_MAGIC):
        raise NotASessionError(f"{path} is not a workbench session (it is not an SQLite file)")
    if len(header) < 100:
        raise CorruptSessionError(f"{path} is truncated: it ends inside the file header")
    (version,) = struct.unpack_from(">i", header, 60)
    (app_id,) = struct.unpack_from(">I", header, 68)
    if app_id != APPLICATION_ID:
        raise NotASessionError(f"{path} is an SQLite database but not a workbench session")
    if version > FORMAT_VERSION:
        raise newer_format(path, version)
    if version < 1:
        raise CorruptSessionError(f"{path} has no session format version in its header")


def newer_format(path: Path, version: int) -> NewerFormatError:
    return NewerFormatError(f"{path} uses session format {version}, newer than this workbench reads "
                            f"(format {FORMAT_VERSION}); open it with a newer version of the workbench")


@contextlib.contextmanager
def sqlite_errors(path: Path, doing: str) -> Iterator[None]:
    """Turn SQLite's exceptions into session errors that name the file and the action."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise SessionError(f"cannot {doing} {path}: another program is using it") from None
        if "readonly" in text or "read-only" in text:
            raise SessionError(f"cannot {doing} {path}: the file is read-only") from None
        raise CorruptSessionError(f"cannot {doing} {path}: {text}") from None
    except (sqlite3.Error, UnicodeDecodeError) as exc:  # UnicodeDecodeError: damaged TEXT values
        raise CorruptSessionError(f"cannot {doing} {path}: the file is damaged ({exc})") from None


def connect(path: Path, *, query_only: bool) -> sqlite3.Connection:
    """A connection to an existing session file whose header :func:`check_header` accepted."""
    check_header(path)
    with sqlite_errors(path, "open"):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, check_same_thread=False)
        try:
            if query_only:
                conn.execute("PRAGMA query_only=1")
            tables = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='table'").fetchall())
        except BaseException:
            conn.close()
            raise
    missing = sorted(set(TABLE_SQL) - set(tables))
    damaged = sorted(name for name, sql in TABLE_SQL.items() if name in tables and tables[name] != sql)
    if missing or damaged:
        conn.close()
        if missing:
            raise CorruptSessionError(f"{path} lacks the session tables {', '.join(missing)}")
        raise CorruptSessionError(f"{path} is damaged: the definitions of {', '.join(damaged)} were altered")
    return conn


def create(path: Path) -> sqlite3.Connection:
    """A new, empty session file at ``path``, replacing an empty file or an older session there,
    never another kind of file."""
    if path.exists() and not (path.is_file() and path.stat().st_size == 0):
        try:
            check_header(path)
        except (NewerFormatError, CorruptSessionError):
            pass  # a session all the same: replace it
        except SessionError:
            raise SessionError(f"{path} exists and is not a workbench session; "
                               "choose another file name") from None
    if not path.parent.is_dir():
        raise SessionError(f"cannot create {path}: the folder {path.parent} does not exist")
    remove(path)
    try:
        conn = sqlite3.connect(path, check_same_thread=False)
    except sqlite3.OperationalError as exc:
        raise SessionError(f"cannot create {path}: {exc}") from None
    with sqlite_errors(path, "create"):
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")
        conn.execute("PRAGMA page_size=16384")
        conn.executescript(SCHEMA)
    return conn


def remove(path: Path) -> None:
    """Delete a session file and the journal files SQLite may have left beside it."""
    for suffix in ("", *SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def begin_recording(conn: sqlite3.Connection) -> None:
    """After the schema and manifest are on disk: log mode for the many small commits to come."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")


def end_recording(conn: sqlite3.Connection) -> None:
    """Fold the write-ahead log back in so that the session is one self-contained file again."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")


def put_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value, crc) VALUES (?, ?, ?)",
                 (key, value, row_crc(key, value)))


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value, crc FROM meta WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    value, crc = row
    if not isinstance(value, str):
        raise CorruptSessionError(f"session metadata {key!r} is damaged")
    check_crc(crc, f"session metadata {key!r}", key, value)
    return value
