"""The database under the store: SQLite on one workstation, PostgreSQL for several.

Opening either backend (an SQLite file in the data folder, WAL, foreign keys, readable by
the user alone; or a server by its URL), read and write transactions, and every database
fault translated into a StoreError staff can act on (never the SQL or its parameters).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from .. import paths
from ..wording import say
from . import StoreError
from . import schema as t

DB_NAME = "screenings.sqlite3"
DATABASE_URL_ENV = "SCREENING_APP_DATABASE_URL"

DAMAGED = ("The records file {where} is damaged ({reason}). Nothing else is touched. Close the app and "
           "restore the latest backup (README, \"Restoring a backup\"); ask the admin if unsure.")


def configured_url() -> str | None:
    """A database server for this workstation: the environment variable, else the file
    `database.url` in the config folder (one line, written by the admin)."""
    env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if env:
        return env
    try:
        text = (paths.config_dir() / "database.url").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def translate(exc: DBAPIError, where) -> StoreError:
    """A database fault in staff words. Never the SQL or its parameters (patient data)."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if isinstance(exc, IntegrityError):
        return StoreError("conflict", say("records.database.was_changed_at_another_workstation"))
    if any(w in text for w in ("malformed", "not a database", "corrupt", "disk image")):
        return StoreError("damaged", DAMAGED.format(where=where, reason=text.splitlines()[0][:80]))
    if getattr(exc, "connection_invalidated", False) or any(
            w in text for w in ("could not connect", "connection refused", "server closed", "connection failed",
                                "terminating connection", "connection timeout", "no route", "ssl", "password auth",
                                "does not exist")):
        # `where` is the URL with its password hidden; libpq's own messages never carry it.
        reason = text.splitlines()[0] if text else "no answer"
        if "password auth" in text or "does not exist" in text:
            return StoreError("refused", say("records.database.records_server_where_refused_connection",
                                             where=where, reason=reason))
        return StoreError("offline", say("records.database.records_server_where_cannot_reached",
                                         where=where, reason=reason))
    if "locked" in text or "busy" in text:
        return StoreError("busy", say("records.database.records_database_busy_locked_by"))
    if "full" in text:
        return StoreError("full", say("records.database.disk_holding_where_full_nothing", where=where))
    if "readonly" in text or "read-only" in text or "unable to open" in text or "i/o" in text:
        return StoreError("unwritable", say("records.database.data_folder_where_cannot_written", where=where))
    if "permission denied" in text or "must be owner" in text:
        return StoreError("refused", say("records.database.records_server_where_refused_workstation", where=where))
    reason = type(exc.orig).__name__ if exc.orig is not None else "unknown fault"
    return StoreError("unwritable", say("records.database.records_database_at_where_cannot",
                                        where=where, reason=reason))


class Database:
    """An engine, where it is (a folder, or the server's URL without its password), and
    transactions that speak in staff words. `on_commit` hears the audit head each committed
    write left behind (the trail anchors it)."""

    def __init__(self, engine: Engine, location: Path | str):
        self.engine = engine
        self.location = location
        self.on_commit: Callable[[int, str], None] | None = None

    @classmethod
    def open(cls, folder: Path | None = None, *, url: str | None = None, busy_timeout_s: float = 10.0,
             migration: bool = False, read_only: bool = False) -> Database:
        """See Store.open: `url`, else `folder`, else the configured server, else the local default."""
        if url is None and folder is None:
            url = configured_url()
        if url and not url.startswith("sqlite"):
            return cls._open_server(url, migration, read_only)
        if url:
            db = Path(make_url(url).database or "")
            folder = db.parent
        else:
            folder = Path(folder) if folder else paths.data_dir()
            db = folder / DB_NAME
        return cls._open_sqlite(folder, db.resolve(), busy_timeout_s, read_only)

    @staticmethod
    def _refuse_empty_file(db: Path) -> None:
        """A 0-byte or non-database file where the store should be is damage, not a new install."""
        try:
            size = db.stat().st_size
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError("unwritable", say("records.database.records_file_db_cannot_read",
                                               db=db, strerror=exc.strerror)) from None
        if size == 0:
            raise StoreError("damaged", say("records.database.records_file_db_empty_0", db=db))

    @classmethod
    def _open_sqlite(cls, folder: Path, db: Path, busy_timeout_s: float, read_only: bool = False) -> Database:
        if read_only:  # a reader (`screen`) never creates a folder or a store
            if not db.is_file():
                raise StoreError("missing", say("records.database.there_no_records_file_at", db=db))
        else:
            try:
                paths.ensure_private_dir(folder)
            except OSError as exc:
                raise StoreError("unwritable",
                                 say("records.database.data_folder_folder_cannot_created",
                                     folder=folder, strerror=exc.strerror)) from None
        cls._refuse_empty_file(db)
        # hide_parameters: a failed statement's message never carries a patient's data.
        engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": busy_timeout_s}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # transactions are begun below, explicitly
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # Writers take the lock up front, so two workstations never both read a value
            # and then both write it (no lost update); reads stay shared.
            read_only = connection.get_execution_options().get("read_only", False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        cls._bring_schema(engine, read_only, db)
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(str(db) + suffix, 0o600)
            except OSError:
                pass
        return cls(engine, folder)

    @classmethod
    def _open_server(cls, url: str, migration: bool = False, read_only: bool = False) -> Database:
        """A shared PostgreSQL server: several workstations, one record. TLS is whatever the
        URL asks for (e.g. ?sslmode=verify-full); the password never appears in a message.

        `migration`: the login may own the tables only for `store migrate`; a workstation that
        logs in as the owner could disable the triggers (least privilege)."""
        try:
            parsed = make_url(url)
        except Exception:
            raise StoreError("refused", say("records.database.database_url_not_valid_url")) from None
        if parsed.get_backend_name() != "postgresql":
            raise StoreError("refused", say("records.database.database_url_parsed_not_supported",
                                            parsed=parsed.get_backend_name()))
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        shown = parsed.render_as_string(hide_password=True)
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        from .roles import check_login
        cls._bring_schema(engine, read_only, shown, check=lambda: check_login(engine, shown, migration))
        return cls(engine, shown)

    @classmethod
    def _bring_schema(cls, engine, read_only: bool, where, check=None) -> None:
        """Migrates the schema to head (a reader only checks it is there), after `check`; any
        fault disposes of the engine and becomes a message in staff words."""
        try:
            if check is not None:
                check()
            if read_only:
                cls._refuse_other_schema(engine)
            else:
                t.migrate(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise translate(exc, where) from None
        except StoreError:
            engine.dispose()
            raise

    @staticmethod
    def _refuse_other_schema(engine) -> None:
        """A reader takes the records as they are: never migrates them, and refuses a schema
        this version of the program does not know (older or newer) instead of guessing."""
        with engine.connect() as connection:
            found = t.current_revision(connection)
        if found != t.SCHEMA_HEAD:
            raise StoreError("outdated", say("records.database.records_are_at_schema_value",
                                             value=found or 'none', SCHEMA_HEAD=t.SCHEMA_HEAD))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def schema_revision(self) -> str | None:
        with self.read() as c:
            return t.current_revision(c)

    def close(self) -> None:
        self.engine.dispose()

    def read(self) -> Transaction:
        return Transaction(self, read_only=True)

    def write(self) -> Transaction:
        return Transaction(self, read_only=False)


class Transaction:
    """A transaction that turns database faults into messages staff can act on."""

    def __init__(self, db: Database, read_only: bool):
        self.db, self.read_only = db, read_only

    def __enter__(self) -> Connection:
        try:
            self.conn = self.db.engine.connect().execution_options(read_only=self.read_only)
            self.tx = self.conn.begin()
        except DBAPIError as exc:
            raise translate(exc, self.db.location) from None
        return self.conn

    def __exit__(self, kind, exc, tb):
        try:  # the head this transaction wrote; dropped with a rollback (the connection goes back to the pool)
            head = self.conn.info.pop("audit_head", None)
        except DBAPIError:
            head = None
        except Exception:  # noqa: BLE001 - an invalidated connection: nothing of it is kept
            head = None
        try:
            if kind is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        except DBAPIError as commit_error:
            self.conn.close()
            raise translate(commit_error, self.db.location) from None
        self.conn.close()
        if kind is None and head is not None and self.db.on_commit is not None:
            self.db.on_commit(*head)
        if isinstance(exc, DBAPIError):  # every database fault in staff words, never a traceback
            raise translate(exc, self.db.location) from None
        return False
