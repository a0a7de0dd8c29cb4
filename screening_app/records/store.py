"""Where screenings live: drafts, the review queue, finished records, staff, settings, audit.

One SQLite file in the user's data folder (WAL, foreign keys, readable by the user alone).
All SQL goes through SQLAlchemy Core so a shared database server can take SQLite's place.
Every call names the staff member acting, and the store checks their role.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, func, insert, make_url, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from .. import paths
from ..screening import InputRefused, default_content, parse_screening
from ..screening.history import EarlierScreening
from ..screening.model import Outcome
from ..screening.signature import SignedBy, meaning_for
from . import StoreError, integrity, signing
from . import schema as t
from .accounts import (
    PermissionDenied,
    Staff,
    hash_password,
    normalise_username,
    password_problem,
    username_problem,
    verify_password,
)
from .aftercare import AftercareMixin
from .identity import fold, name_words, patient_key
from .passwords import dummy_hash, password_fingerprint
from .search import search as search_list
from .settings import ClinicSettings
from .signin import SignInGuard

DB_NAME = "screenings.sqlite3"
DATABASE_URL_ENV = "SCREENING_APP_DATABASE_URL"
GENESIS = "0" * 64


@dataclass(frozen=True)
class DraftRow:
    id: str
    status: str
    step: int
    draft: dict
    patient_name: str
    date_of_birth: str
    treatment_date: str
    outcome: str | None
    created_by: str
    updated_at: str
    claimed_by: str | None
    row_version: int
    amends: str | None
    closed_reason: str | None = None
    claimed_at: str | None = None


@dataclass(frozen=True)
class FinishedRecord:
    screening_id: str
    finished_at: str
    finished_by: str
    screening_file: dict
    result: dict
    sheet_kind: str
    questionnaire_version: str
    rules_version: str
    sheet_version: str
    lot: str | None
    lot_verified: bool | None
    pdf: bytes
    pdf_sha256: str
    amends: str | None
    signer_name: str | None = None
    content_digest: str | None = None


def draft_outcome(draft: dict, history=()) -> str:
    """The outcome of a draft as far as it is answered, decided here, never taken from the caller:
    a later screening of the same patient relies on it. Unanswered questions count as "don't know";
    an unchosen route counts as the most severe of all routes; the patient's earlier screenings
    count as they do at finishing."""
    from ..screening import default_content, evaluate
    from ..screening.model import Answer, Route
    content = default_content()
    answers = {q: a for q, a in (draft.get("answers") or {}).items()
               if q in content.question_ids and a in {x.value for x in Answer}}
    routes = [draft["route"]] if draft.get("route") in {r.value for r in Route} else [r.value for r in Route]
    return Outcome.most_severe(evaluate(answers, route, content=content, history=history).outcome
                               for route in routes).value


# How long a sheet made for signing stays signable: a clinician who prints it and finishes in one
# sitting signs at the time it printed; a sheet left overnight is made again.
STAMP_HOURS = 12


@dataclass(frozen=True)
class SheetStamp:
    """What a sheet made for signing prints: the electronic signature and the trail's mark."""
    signed: SignedBy
    anchor: str


def _file_digest(screening_file: dict) -> str:
    return hashlib.sha256(_canonical(screening_file).encode("utf-8")).hexdigest()


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _canonical(entry: dict) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, entry: dict) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode("utf-8")).hexdigest()


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


DAMAGED = ("The records file {where} is damaged ({reason}). Nothing else is touched. Close the app and "
           "restore the latest backup (README, \"Restoring a backup\"); ask the admin if unsure.")


def _translate(exc: DBAPIError, where) -> StoreError:
    """A database fault in staff words. Never the SQL or its parameters (patient data)."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if isinstance(exc, IntegrityError):
        return StoreError("conflict", "This was changed at another workstation at the same moment, or the "
                                      "database refused it. Nothing was lost; reopen it to see the latest.")
    if any(w in text for w in ("malformed", "not a database", "corrupt", "disk image")):
        return StoreError("damaged", DAMAGED.format(where=where, reason=text.splitlines()[0][:80]))
    if getattr(exc, "connection_invalidated", False) or any(
            w in text for w in ("could not connect", "connection refused", "server closed", "connection failed",
                                "terminating connection", "connection timeout", "no route", "ssl", "password auth",
                                "does not exist")):
        # `where` is the URL with its password hidden; libpq's own messages never carry it.
        reason = text.splitlines()[0] if text else "no answer"
        if "password auth" in text or "does not exist" in text:
            return StoreError("refused", f"The records server {where} refused the connection ({reason}). "
                                         "Ask the admin to check the database URL, user and password.")
        return StoreError("offline", f"The records server {where} cannot be reached ({reason}). Nothing typed is "
                                     "lost; it reconnects by itself when the server is back.")
    if "locked" in text or "busy" in text:
        return StoreError("busy", "The records database is busy or locked by another program. "
                                  "Nothing typed is lost; try again in a moment.")
    if "full" in text:
        return StoreError("full", f"The disk holding {where} is full. Nothing typed is lost; "
                                  "free some space and try again.")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "i/o" in text:
        return StoreError("unwritable", f"The data folder {where} cannot be written. Nothing typed is lost; "
                                        "ask the admin to check the folder's permissions.")
    if "permission denied" in text or "must be owner" in text:
        return StoreError("refused", f"The records server {where} refused this: the workstation's login lacks "
                                     "a right it needs. Ask the admin to run scripts/postgres-roles.sql "
                                     "(docs/postgresql.md).")
    reason = type(exc.orig).__name__ if exc.orig is not None else "unknown fault"
    return StoreError("unwritable", f"The records database at {where} cannot be used ({reason}). "
                                    "Nothing typed is lost; ask the admin.")


class Store(AftercareMixin):
    def __init__(self, engine, location: Path):
        self.engine = engine
        self.location = location
        self._keys: dict[int, signing.OpenKey] = {}  # signing keys opened by their owners' passwords
        self.signin_guard = SignInGuard()
        self.anchor_problem: str | None = None  # set at opening when the trail is behind this workstation's anchor

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path | None = None, *, url: str | None = None,
             busy_timeout_s: float = 10.0, migration: bool = False) -> Store:
        """The store at `url` (a database server or an SQLite file), else in `folder`, else
        the one this workstation is configured for (configured_url), else the local default.

        `migration`: on PostgreSQL, the login may own the tables only for `store migrate`; a
        workstation that logs in as the owner could disable the triggers (least privilege)."""
        if url is None and folder is None:
            url = configured_url()
        if url and not url.startswith("sqlite"):
            store = cls._open_server(url, migration)
        else:
            if url:
                db = Path(make_url(url).database or "")
                folder = db.parent
            else:
                folder = Path(folder) if folder else paths.data_dir()
                db = folder / DB_NAME
            store = cls._open_sqlite(folder, db.resolve(), busy_timeout_s)
        try:
            store._check_anchor()
        except BaseException:
            store.close()
            raise
        return store

    def _check_anchor(self) -> None:
        """A store that is empty where this workstation saw history is refused, never taken for a
        new install; a trail behind the anchor (cut or rolled back) is noted for `audit verify`."""
        anchor = integrity.anchor_for(self.anchor_key)
        if anchor is None or anchor[0] == 0:
            return
        seq, digest = self.head()
        if seq == 0:
            raise StoreError("damaged", f"The records store {self.location} is empty, but this workstation saw "
                                        f"{anchor[0]} audit entries in it (last {integrity.fingerprint(*anchor)}). "
                                        "It was emptied or replaced: restore the latest backup (README, "
                                        "\"Restoring a backup\"). Nothing was created.")
        with self._read() as c:
            at = c.execute(select(t.audit.c.hash).where(t.audit.c.seq == anchor[0])).scalar()
        if at != anchor[1]:
            self.anchor_problem = (f"the audit trail no longer holds entry {integrity.fingerprint(*anchor)} that this "
                                   "workstation saw: it was cut, rewritten or rolled back")

    @staticmethod
    def _refuse_empty_file(db: Path) -> None:
        """A 0-byte or non-database file where the store should be is damage, not a new install."""
        try:
            size = db.stat().st_size
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError("unwritable", f"The records file {db} cannot be read ({exc.strerror}).") from None
        if size == 0:
            raise StoreError("damaged", f"The records file {db} is empty (0 bytes): it was damaged or cut short. "
                                        "Nothing was created over it. Restore the latest backup (README, "
                                        "\"Restoring a backup\"); if this is truly a new install, delete the empty "
                                        "file and start again.")

    @classmethod
    def _open_sqlite(cls, folder: Path, db: Path, busy_timeout_s: float) -> Store:
        try:
            paths.ensure_private_dir(folder)
        except OSError as exc:
            raise StoreError("unwritable", f"The data folder {folder} cannot be created ({exc.strerror}).") from None
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

        store = cls(engine, folder)
        try:
            t.migrate(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise _translate(exc, db) from None
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(str(db) + suffix, 0o600)
            except OSError:
                pass
        return store

    @classmethod
    def _open_server(cls, url: str, migration: bool = False) -> Store:
        """A shared PostgreSQL server: several workstations, one record. TLS is whatever the
        URL asks for (e.g. ?sslmode=verify-full); the password never appears in a message."""
        try:
            parsed = make_url(url)
        except Exception:
            raise StoreError("refused", "database URL: not a valid URL") from None
        if parsed.get_backend_name() != "postgresql":
            raise StoreError("refused", f"database URL: {parsed.get_backend_name()} is not supported; "
                                        "use postgresql://… or an SQLite file")
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        shown = parsed.render_as_string(hide_password=True)
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        store = cls(engine, shown)
        try:
            from .roles import check_login
            check_login(engine, shown, migration)
            t.migrate(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise _translate(exc, shown) from None
        except StoreError:
            engine.dispose()
            raise
        return store

    def schema_revision(self) -> str | None:
        with self._read() as c:
            return t.current_revision(c)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def _write(self):
        return _Tx(self, read_only=False)

    def _read(self):
        return _Tx(self, read_only=True)

    # --- who is acting ---------------------------------------------------------------------

    def _acting(self, c, actor: Staff, permission: str | None, what: str) -> Staff:
        """The acting account as the database has it now, never as the caller's object says.

        A relabelled copy (`dataclasses.replace(desk, role="clinician")`), an object for an
        account that was switched off after sign-in, or one with another id's name is refused."""
        row = c.execute(select(t.staff.c.id, t.staff.c.username, t.staff.c.display_name, t.staff.c.role,
                               t.staff.c.active).where(t.staff.c.id == getattr(actor, "id", None))).first()
        if row is None or row.username != getattr(actor, "username", None):
            raise PermissionDenied("This sign-in is not a known account. Sign in again.")
        staff = Staff(row.id, row.username, row.display_name, row.role, bool(row.active))
        if not staff.active:
            raise PermissionDenied(f"{staff.display_name}'s account is switched off. Ask the admin.")
        if permission is not None:
            staff.require(permission, what)
        return staff

    def whoami(self, actor: Staff) -> Staff:
        """The signed-in account as it stands in the database (role, name, switched on)."""
        with self._read() as c:
            return self._acting(c, actor, None, "")

    # --- staff ---------------------------------------------------------------------------

    def has_staff(self) -> bool:
        with self._read() as c:
            return c.execute(select(func.count()).select_from(t.staff)).scalar() > 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> Staff:
        """Only on a store with no accounts: the first start creates the admin and the store's
        first signing key, the one every later key is endorsed back to."""
        with self._write() as c:
            if c.execute(select(func.count()).select_from(t.staff)).scalar():
                raise PermissionDenied("An admin exists already; ask them to add your account.")
            staff = self._insert_staff(c, normalise_username(username), display_name, "admin", password,
                                       actor=None, endorser=None)
            return staff

    def add_staff(self, actor: Staff, username: str, display_name: str, role: str, password: str) -> Staff:
        with self._write() as c:
            actor = self._acting(c, actor, "manage_staff", "manage accounts")
            endorser = self._open_key(actor)
            return self._insert_staff(c, normalise_username(username), display_name, role, password,
                                      actor=actor.username, endorser=endorser)

    def _insert_staff(self, c, username, display_name, role, password, *, actor, endorser) -> Staff:
        """The account, its audit entry (written first: the staff table's trigger asks for it),
        and its signing key sealed by the password, endorsed by the admin's key."""
        problems = []
        if problem := username_problem(username):
            problems.append(f"username: {problem}")
        if not display_name.strip():
            problems.append("name: empty")
        if role not in t.ROLES:
            problems.append(f"role: must be one of {', '.join(t.ROLES)}")
        if problem := password_problem(password, username=username, name=display_name):
            problems.append(f"password: {problem}")
        if problems:
            raise StoreError("refused", "; ".join(problems))
        if c.execute(select(t.staff.c.id).where(t.staff.c.username == username)).first() is not None:
            raise StoreError("refused", f"username: {username!r} is taken")
        hashed = hash_password(password)
        self._staff_audit(c, actor or username, endorser, "staff_created",
                          {"username": username, "role": role, "password": password_fingerprint(hashed)})
        try:
            result = c.execute(insert(t.staff).values(
                username=username, display_name=display_name.strip(), role=role,
                password_hash=hashed, active=True, created_at=now()))
        except IntegrityError:
            raise StoreError("refused", f"username: {username!r} is taken") from None
        staff = Staff(result.inserted_primary_key[0], username, display_name.strip(), role)
        # Whoever sets a password can sign in with it: holding the key they sealed gives no new power.
        self._keys[staff.id] = signing.register_key(c, self._audit, staff_id=staff.id, username=username,
                                                    password=password, actor=actor or username,
                                                    endorser=endorser, now=now())
        return staff

    @staticmethod
    def _account_name(c, username: str) -> str:
        """The stored username for what was typed: normalised (NFKC, casefold), or exactly as an
        account made before names were normalised spells it. Refuses a name with no account."""
        for candidate in (normalise_username(username), username.strip()):
            if c.execute(select(t.staff.c.id).where(t.staff.c.username == candidate)).first() is not None:
                return candidate
        raise StoreError("refused", f"username: no account {normalise_username(username)!r}")

    def _staff_audit(self, c, actor: str, key: signing.OpenKey | None, action: str, detail: dict) -> None:
        """An account change's audit entry, signed by the acting admin's own key: a change forged
        behind the app, even with a correctly chained entry, fails `audit verify`."""
        self._audit(c, actor, action, None, signing.signed_detail(key, action, actor, detail))

    def _open_key(self, actor: Staff) -> signing.OpenKey:
        key = self._keys.get(actor.id)
        if key is None:
            raise StoreError("refused", "Sign in again first: your signing key is open only after you "
                                        "type your password in this session.")
        return key

    def set_staff_active(self, actor: Staff, username: str, active: bool) -> None:
        """Switches an account on or off. Switching off also hands back every screening the
        account holds for review, so no claim outlives the person's access. The audit entry is
        written first: the staff table's trigger asks for it."""
        with self._write() as c:
            actor = self._acting(c, actor, "manage_staff", "manage accounts")
            username = self._account_name(c, username)
            if username == actor.username and not active:
                raise StoreError("refused", "You cannot switch off your own account.")
            target = c.execute(select(t.staff.c.id).where(t.staff.c.username == username)).scalar()
            self._staff_audit(c, actor.username, self._open_key(actor), "staff_enabled" if active
                              else "staff_disabled", {"username": username})
            c.execute(update(t.staff).where(t.staff.c.id == target).values(active=active))
            if not active:
                held = c.execute(select(t.screenings.c.id).where(
                    t.screenings.c.claimed_by == target, t.screenings.c.status == "in_review")).scalars().all()
                for sid in held:
                    self._unclaim(c, sid)
                    self._audit(c, actor.username, "claim_released", sid,
                                {"holder": username, "reason": "account switched off"})

    def set_staff_role(self, actor: Staff, username: str, role: str) -> None:
        if role not in t.ROLES:
            raise StoreError("refused", f"role: must be one of {', '.join(t.ROLES)}")
        with self._write() as c:
            actor = self._acting(c, actor, "manage_staff", "manage accounts")
            username = self._account_name(c, username)
            if username == actor.username:
                raise StoreError("refused", "You cannot change your own role.")
            self._staff_audit(c, actor.username, self._open_key(actor), "staff_role_changed",
                              {"username": username, "role": role})
            c.execute(update(t.staff).where(t.staff.c.username == username).values(role=role))

    def set_password(self, actor: Staff, username: str, password: str) -> None:
        """A new password and with it a new signing key, endorsed by the admin's key (a reset) or
        the owner's own previous key (a change); old keys stay for old signatures."""
        with self._write() as c:
            actor = self._acting(c, actor, None, "")
            username = self._account_name(c, username)
            if actor.username != username:
                actor.require("manage_staff", "change another person's password")
            endorser = self._open_key(actor)
            row = c.execute(select(t.staff.c.id, t.staff.c.display_name)
                            .where(t.staff.c.username == username)).first()
            if problem := password_problem(password, username=username, name=row.display_name):
                raise StoreError("refused", f"password: {problem}")
            hashed = hash_password(password)
            self._staff_audit(c, actor.username, endorser, "password_set",
                              {"username": username, "password": password_fingerprint(hashed)})
            c.execute(update(t.staff).where(t.staff.c.username == username).values(password_hash=hashed))
            self._keys[row.id] = signing.register_key(c, self._audit, staff_id=row.id, username=username,
                                                      password=password, actor=actor.username,
                                                      endorser=endorser, now=now())

    def list_staff(self, actor: Staff) -> list[Staff]:
        with self._read() as c:
            self._acting(c, actor, "manage_staff", "manage accounts")
            rows = c.execute(select(t.staff).order_by(t.staff.c.username)).mappings()
            return [Staff(r["id"], r["username"], r["display_name"], r["role"], bool(r["active"])) for r in rows]

    def authenticate(self, username: str, password: str) -> Staff | None:
        """The account, or None for a wrong name or password (the same answer, in the same time,
        for both). Repeated failures slow down, then lock the name (signin.py); a locked name
        raises StoreError("locked"). Signing in opens the account's signing key."""
        name = normalise_username(username)[:64]
        with self._write() as c:
            self.signin_guard.before(c, name)
        with self._read() as c:
            row = None
            for candidate in dict.fromkeys((name, username.strip()[:64])):  # exact: accounts from before folding
                row = row or c.execute(select(t.staff).where(t.staff.c.username == candidate)).mappings().first()
        usable = row is not None and bool(row["active"])
        ok = verify_password(password, row["password_hash"] if usable else dummy_hash()) and usable
        locked = False
        with self._write() as c:
            if ok:
                self.signin_guard.succeeded(c, name)
                self._audit(c, row["username"], "signed_in", None, {})
                self._keys[row["id"]] = self._unseal_or_register(c, row, password)
            else:
                locked = self.signin_guard.failed(c, name)
                self._audit(c, name, "sign_in_failed", None, {})
                if locked:
                    self._audit(c, "system", "sign_in_locked", None, {"username": name})
        return Staff(row["id"], row["username"], row["display_name"], row["role"]) if ok else None

    def _unseal_or_register(self, c, row, password: str) -> signing.OpenKey:
        key = signing.open_key(c, row["id"], password)
        if key is None:  # an account from before signing began: its first key, self-endorsed
            key = signing.register_key(c, self._audit, staff_id=row["id"], username=row["username"],
                                       password=password, actor=row["username"], endorser=None, now=now())
        return key

    def unlock_signin(self, actor: Staff, username: str) -> None:
        """An admin lifts the lock after repeated wrong passwords."""
        name = normalise_username(username)[:64]
        with self._write() as c:
            actor = self._acting(c, actor, "manage_staff", "unlock accounts")
            self.signin_guard.succeeded(c, name)
            self._audit(c, actor.username, "sign_in_unlocked", None, {"username": name})

    def locked_signins(self, actor: Staff) -> list[str]:
        with self._read() as c:
            self._acting(c, actor, "manage_staff", "manage accounts")
            return SignInGuard.locked_names(c, self.signin_guard.clock())

    def check_password(self, staff: Staff, password: str) -> bool:
        """For unlocking after the idle lock: the same person, their password. Reopens the key."""
        with self._read() as c:
            stored = c.execute(select(t.staff).where(t.staff.c.id == staff.id)).mappings().first()
        usable = stored is not None and bool(stored["active"])
        ok = verify_password(password, stored["password_hash"] if usable else dummy_hash()) and usable
        with self._write() as c:
            self._audit(c, staff.username, "unlocked" if ok else "unlock_failed", None, {})
            if ok:
                self._keys[staff.id] = self._unseal_or_register(c, stored, password)
        return ok

    def forget_signing_key(self, staff: Staff) -> None:
        """The idle lock and sign-out: the key is closed until the password is typed again."""
        self._keys.pop(staff.id, None)

    # --- drafts and the queue ---------------------------------------------------------------
    # Who may touch a screening, by status: its creator while it is a draft; nobody while it
    # waits in the queue; the clinician who claimed it while it is in review. Finished ones
    # are never changed (a trigger refuses it too); a correction is an amendment.

    def new_draft(self, actor: Staff, draft: dict, *, amends: str | None = None) -> DraftRow:
        sid = str(uuid.uuid4())
        stamp = now()
        with self._write() as c:
            actor = self._acting(c, actor, "screen", "start a screening")
            if amends is not None:
                actor.require("sign", "amend a finished screening")
                if c.execute(select(t.finished.c.screening_id).where(t.finished.c.screening_id == amends)).first() \
                        is None:
                    raise StoreError("refused", "Only a finished screening can be amended.")
            c.execute(insert(t.screenings).values(
                id=sid, status="draft", step=0, draft_json=_canonical(draft), created_by=actor.id,
                created_at=stamp, updated_by=actor.id, updated_at=stamp, row_version=1, amends=amends,
                **self._searchable(draft, None)))
            self._index_name(c, sid, draft.get("name", ""))
            self._audit(c, actor.username, "created", sid, {"amends": amends} if amends else {})
        return self.draft(sid)

    def save_draft(self, actor: Staff, sid: str, draft: dict, *, step: int, version: int,
                   outcome: str | None = None, audit_step: bool = False) -> int:
        """Saves what is typed; returns the new version. Refuses a save over someone else's.
        `outcome` is not used: the store works the draft's outcome out itself (draft_outcome)."""
        s = t.screenings
        with self._write() as c:
            actor = self._acting(c, actor, "screen", "edit a screening")
            result = c.execute(update(s).where(
                s.c.id == sid, s.c.row_version == version,
                or_((s.c.status == "draft") & (s.c.created_by == actor.id),
                    (s.c.status == "in_review") & (s.c.claimed_by == actor.id))).values(
                draft_json=_canonical(draft), step=step, updated_by=actor.id, updated_at=now(),
                row_version=version + 1, **self._searchable(draft, draft_outcome(draft, self._history(
                    c, name=str(draft.get("name", "")), date_of_birth=str(draft.get("date_of_birth", "")),
                    patient_id=str(draft.get("patient_id", "")), exclude=sid)))))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            self._index_name(c, sid, draft.get("name", ""))
            if audit_step:
                self._audit(c, actor.username, "changed", sid, {"step": step})
        return version + 1

    def _why_not_yours(self, c, sid: str, actor: Staff) -> str:
        row = c.execute(select(t.screenings.c.status, t.screenings.c.created_by, t.screenings.c.claimed_by)
                        .where(t.screenings.c.id == sid)).first()
        if row is None:
            return "This screening does not exist."
        if row.status == "finished":
            return "This screening is finished and can no longer change. A clinician can amend it."
        if row.status == "discarded":
            return "This screening was withdrawn or discarded."
        if row.status == "handed_over":
            return "This screening was handed over and waits for a clinician."
        if row.status == "in_review" and row.claimed_by != actor.id:
            holder = c.execute(select(t.staff.c.display_name).where(t.staff.c.id == row.claimed_by)).scalar()
            return f"{holder} is reviewing this screening."
        if row.status == "draft" and row.created_by != actor.id:
            return "Someone else started this screening; only they can go on with it."
        return ("This screening was changed in another window or at another workstation. Your copy is kept "
                "on screen; reopen the screening to see theirs.")

    def hand_over(self, actor: Staff, sid: str, version: int) -> int:
        with self._write() as c:
            actor = self._acting(c, actor, "screen", "hand over a screening")
            result = c.execute(update(t.screenings).where(
                t.screenings.c.id == sid, t.screenings.c.row_version == version,
                t.screenings.c.created_by == actor.id, t.screenings.c.status == "draft").values(
                status="handed_over", updated_by=actor.id, updated_at=now(), row_version=version + 1))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            self._audit(c, actor.username, "handed_over", sid, {})
        return version + 1

    def claim(self, actor: Staff, sid: str) -> DraftRow:
        """Takes a screening for review. Atomic: of two clinicians, exactly one gets it.
        A draft can be claimed only by the clinician who started it (an amendment)."""
        s = t.screenings
        with self._write() as c:
            actor = self._acting(c, actor, "review", "review screenings")
            result = c.execute(update(s).where(
                s.c.id == sid,
                or_(s.c.status == "handed_over",
                    (s.c.status == "in_review") & (s.c.claimed_by == actor.id),
                    (s.c.status == "draft") & (s.c.created_by == actor.id))).values(
                status="in_review", claimed_by=actor.id, claimed_at=now(),
                row_version=s.c.row_version + 1))
            if result.rowcount != 1:
                holder = c.execute(select(t.staff.c.display_name).join(
                    s, s.c.claimed_by == t.staff.c.id).where(s.c.id == sid, s.c.status == "in_review")).scalar()
                raise StoreError("conflict", f"{holder} is reviewing this screening." if holder
                                 else "This screening is no longer waiting for review.")
            self._audit(c, actor.username, "opened", sid, {"for": "review"})
        return self.draft(sid)

    def _unclaim(self, c, sid: str) -> None:
        c.execute(update(t.screenings).where(t.screenings.c.id == sid, t.screenings.c.status == "in_review").values(
            status="handed_over", claimed_by=None, claimed_at=None, row_version=t.screenings.c.row_version + 1))

    def release(self, actor: Staff, sid: str, *, reason: str = "") -> None:
        """Hands a screening back to the queue. Its holder may always; another clinician or an
        admin only when the claim is older than the clinic's limit, and with a reason."""
        with self._write() as c:
            actor = self._acting(c, actor, None, "")
            row = c.execute(select(t.screenings.c.status, t.screenings.c.claimed_by, t.screenings.c.claimed_at,
                                   t.screenings.c.updated_at, t.staff.c.username).outerjoin(t.staff, t.staff.c.id == t.screenings.c.claimed_by)
                            .where(t.screenings.c.id == sid)).first()
            if row is None or row.status != "in_review":
                return
            if row.claimed_by == actor.id:
                self._unclaim(c, sid)
                self._audit(c, actor.username, "released", sid, {})
                return
            actor.require("release", "free another person's screening")
            if not reason.strip():
                raise StoreError("refused", "reason: say why the screening is freed (for example: "
                                            "the clinician went home)")
            limit = self._settings(c).claim_release_minutes
            # From the holder's last save, not from the claim: someone still typing is not "gone".
            held_since = max(dt.datetime.fromisoformat(row.claimed_at), dt.datetime.fromisoformat(row.updated_at))
            if dt.datetime.now(dt.UTC) - held_since < dt.timedelta(minutes=limit):
                raise StoreError("refused", f"{row.username} worked on this screening less than {limit} minutes ago. "
                                            "Ask them, or wait.")
            self._unclaim(c, sid)
            self._audit(c, actor.username, "claim_released", sid, {"holder": row.username, "reason": reason.strip()})

    def withdraw(self, actor: Staff, sid: str, reason: str) -> None:
        """Takes an unfinished screening out of every queue (patient left, duplicate, wrong
        patient). It is kept, marked withdrawn, with who, when and why."""
        with self._write() as c:
            actor = self._acting(c, actor, "withdraw", "withdraw a screening")
            if not reason.strip():
                raise StoreError("refused", "reason: say why the screening is withdrawn")
            result = c.execute(update(t.screenings).where(
                t.screenings.c.id == sid, t.screenings.c.status.in_(("draft", "handed_over", "in_review")))
                .values(status="discarded", closed_reason=reason.strip()[:2000], claimed_by=None, claimed_at=None,
                        updated_by=actor.id, updated_at=now(), row_version=t.screenings.c.row_version + 1))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            self._audit(c, actor.username, "withdrawn", sid, {"reason": reason.strip()[:2000]})

    def discard(self, actor: Staff, sid: str, reason: str = "discarded by the person who started it") -> None:
        """The person who started a draft may drop it; it stays in the records, marked."""
        with self._write() as c:
            actor = self._acting(c, actor, "screen", "discard a screening")
            result = c.execute(update(t.screenings).where(
                t.screenings.c.id == sid, t.screenings.c.status == "draft", t.screenings.c.created_by == actor.id)
                .values(status="discarded", closed_reason=reason, updated_by=actor.id, updated_at=now(),
                        row_version=t.screenings.c.row_version + 1))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            self._audit(c, actor.username, "discarded", sid, {})

    def draft(self, sid: str) -> DraftRow:
        with self._read() as c:
            row = c.execute(self._draft_query().where(t.screenings.c.id == sid)).mappings().first()
        if row is None:
            raise StoreError("refused", f"No screening {sid}.")
        return self._draft_row(row)

    def open_drafts(self, actor: Staff) -> list[DraftRow]:
        """Unfinished screenings this person started or is reviewing: offered after a crash."""
        with self._read() as c:
            rows = c.execute(self._draft_query().where(
                or_((t.screenings.c.status == "draft") & (t.screenings.c.created_by == actor.id),
                    (t.screenings.c.status == "in_review") & (t.screenings.c.claimed_by == actor.id)))
                .order_by(t.screenings.c.updated_at.desc())).mappings().all()
        return [self._draft_row(r) for r in rows]

    def queue(self) -> list[DraftRow]:
        with self._read() as c:
            rows = c.execute(self._draft_query().where(t.screenings.c.status.in_(("handed_over", "in_review")))
                             .order_by(t.screenings.c.updated_at)).mappings().all()
        return [self._draft_row(r) for r in rows]

    def _draft_query(self):
        creator = t.staff.alias("creator")
        claimer = t.staff.alias("claimer")
        return (select(t.screenings, creator.c.display_name.label("creator_name"),
                       claimer.c.display_name.label("claimer_name"))
                .join(creator, creator.c.id == t.screenings.c.created_by)
                .outerjoin(claimer, claimer.c.id == t.screenings.c.claimed_by))

    @staticmethod
    def _draft_row(r) -> DraftRow:
        return DraftRow(r["id"], r["status"], r["step"], json.loads(r["draft_json"]), r["patient_name"],
                        r["date_of_birth"], r["treatment_date"], r["outcome"], r["creator_name"],
                        r["updated_at"], r["claimer_name"], r["row_version"], r["amends"], r["closed_reason"],
                        r["claimed_at"])

    @staticmethod
    def _searchable(draft: dict, outcome: str | None) -> dict:
        name = str(draft.get("name", ""))[:400]
        dob = str(draft.get("date_of_birth", ""))[:10]
        values = {"patient_name": name, "name_key": fold(name)[:400], "date_of_birth": dob,
                  "treatment_date": str(draft.get("treatment_date", ""))[:10],
                  "patient_id": str(draft.get("patient_id", "")).strip()[:200] or None,
                  "patient_key": patient_key(name, dob)}
        if outcome is not None:
            values["outcome"] = outcome
        return values

    def _index_name(self, c, sid: str, name: str) -> None:
        c.execute(t.name_tokens.delete().where(t.name_tokens.c.screening_id == sid))
        words = sorted(set(w[:200] for w in name_words(str(name))))
        if words:
            c.execute(insert(t.name_tokens), [{"screening_id": sid, "token": w} for w in words])

    # --- one patient, many screenings -----------------------------------------------------------

    def patient_history(self, actor: Staff, *, name: str, date_of_birth: str, patient_id: str = "",
                        exclude: str | None = None) -> list[EarlierScreening]:
        """Every other screening of the same patient (same patient ID, or same folded name and
        birth date), newest first, withdrawn ones included: a later screening must see them."""
        with self._read() as c:
            self._acting(c, actor, "screen", "look up a patient's screenings")
            return self._history(c, name=name, date_of_birth=date_of_birth, patient_id=patient_id, exclude=exclude)

    def completion(self, sid: str) -> tuple[str, dt.date | None]:
        """Who at the front desk started this screening, and on which day: the sheet's
        "completed by" line, the same whoever makes the sheet."""
        with self._read() as c:
            return self._completion(c, sid)

    @staticmethod
    def _completion(c, sid: str) -> tuple[str, dt.date | None]:
        row = c.execute(select(t.staff.c.display_name, t.screenings.c.created_at)
                        .join(t.screenings, t.screenings.c.created_by == t.staff.c.id)
                        .where(t.screenings.c.id == sid)).first()
        if row is None:
            return "", None
        return row.display_name, dt.datetime.fromisoformat(row.created_at).date()

    def earlier_screenings(self, *, name: str, date_of_birth: str, patient_id: str = "") -> list[EarlierScreening]:
        """For the headless `screen` (no sign-in): the same look-up the app makes, so a sheet made
        without the app is never a plain consent for a patient refused before. Nothing else of
        the records leaves the store this way."""
        with self._read() as c:
            return self._history(c, name=name, date_of_birth=date_of_birth, patient_id=patient_id)

    def _history(self, c, *, name: str, date_of_birth: str, patient_id: str = "",
                 exclude: str | None = None) -> list[EarlierScreening]:
        s, f = t.screenings, t.finished
        same = []
        key = patient_key(name, date_of_birth)
        if key:
            same.append(s.c.patient_key == key)
        if patient_id and patient_id.strip():
            same.append(s.c.patient_id == patient_id.strip()[:200])
        if not same:
            return []
        query = (select(s.c.id, s.c.status, s.c.treatment_date, s.c.outcome, s.c.draft_json, s.c.closed_reason,
                        f.c.sheet_kind, f.c.result_json, f.c.screening_json)
                 .outerjoin(f, f.c.screening_id == s.c.id).where(or_(*same)))
        if exclude:
            query = query.where(s.c.id != exclude)
        out = []
        for r in c.execute(query.order_by(s.c.treatment_date.desc(), s.c.updated_at.desc()).limit(200)).mappings():
            status = {"finished": "finished", "discarded": "withdrawn"}.get(r["status"], "in progress")
            reasons: tuple[str, ...] = ()
            if r["result_json"]:
                result = json.loads(r["result_json"])
                answers = json.loads(r["screening_json"]).get("answers", {})
                reasons = tuple(x["reason"] for x in result.get("findings", []) if x.get("outcome") == "do_not_treat")
                if r["sheet_kind"] == "deferred":
                    decisions = json.loads(r["screening_json"]).get("review", {}).get("decisions", {})
                    reasons = tuple(d.get("reason", "") for d in decisions.values()
                                    if d.get("decision") == "defer" and d.get("reason"))
            else:
                answers = json.loads(r["draft_json"]).get("answers", {})
            out.append(EarlierScreening(r["id"], r["treatment_date"], status, r["outcome"], r["sheet_kind"],
                                        reasons, dict(answers), r["closed_reason"]))
        # Open adverse events after an earlier treatment raise their own clinician-review finding.
        events = self._open_adverse_events(c, [e.screening_id for e in out if e.sheet_kind == "consent"])
        return [dataclasses.replace(e, adverse_events=events[e.screening_id]) if e.screening_id in events else e
                for e in out]

    # --- finishing, and never rewriting ----------------------------------------------------------

    def finish(self, actor: Staff, sid: str, *, version: int, screening_file: dict, pdf: bytes | None = None,
               sheet_version: str | None = None) -> FinishedRecord:
        """Records the screening exactly as signed, by the signed-in clinician.

        The store trusts nothing the caller decides: it reads the signer from the database,
        finds the patient's earlier screenings itself, takes the clinic's settings from its
        own table, decides the sheet kind and makes the sheet itself (the same path the wizard
        and `screen` use). A `pdf` given by the caller must be that very sheet, byte for byte."""
        from ..sheets import render, sheet_texts  # reportlab only when a screening is finished
        screening_file = json.loads(_canonical(screening_file))  # a copy: the caller's dict is theirs
        given = json.loads(_canonical(screening_file))  # what the sheet was made from, before the store's names
        as_given = _file_digest(given)

        def inputs(c):
            signer = self._acting(c, actor, "sign", "sign screenings")
            key = self._open_key(signer)  # the signer's own key, opened by their password (signing.py)
            row = c.execute(select(t.screenings.c.claimed_by, t.screenings.c.status, t.screenings.c.row_version)
                            .where(t.screenings.c.id == sid)).first()
            if row is None or row.status != "in_review" or row.claimed_by != signer.id or row.row_version != version:
                raise StoreError("conflict", "Only the clinician who opened this screening for review can "
                                             "finish it, and only from its latest version.")
            if isinstance(screening_file.get("review"), dict):
                # The reviewer is whoever signs in and signs, by the name on their account.
                screening_file["review"]["clinician"] = signer.display_name
            if isinstance(screening_file.get("declined"), dict):
                screening_file["declined"]["recorded_by"] = signer.display_name
            try:
                screening = parse_screening(screening_file)
            except InputRefused as exc:
                raise StoreError("refused", "The screening is not complete: " + "; ".join(exc.problems)) from None
            history = self._history(c, name=screening.patient.name,
                                    date_of_birth=screening.patient.date_of_birth.isoformat(),
                                    patient_id=screening.patient.patient_id or "", exclude=sid)
            # A lot the clinic has recalled never verifies, so it never gets a consent.
            return (signer, key, screening, history, self._settings(c), self._completion(c, sid),
                    tuple(self._recalled(c)), self._stamp(c, signer, sid, as_given))

        # The sheet is made outside the write transaction (reportlab takes tens of milliseconds,
        # and SQLite's write lock would stop every other workstation meanwhile); what it was made
        # from is read again under the lock, and anything changed in between is a conflict.
        with self._read() as c:
            signer, key, screening, history, settings, (completed_by, completed_on), recalled, made_for = inputs(c)
        if made_for is None:  # no sheet was made for signing from this file: the store makes one now
            made_for = self.sheet_stamp(actor, sid, given)
        made = render(screening, settings=settings, history=history, completed_by=completed_by,
                      completed_on=completed_on, recalled=recalled, signed=made_for.signed, anchor=made_for.anchor)
        with self._write() as c:
            # First the audit head's row lock: on PostgreSQL this serialises finishes (and every
            # other write), so two finishes for one patient cannot each miss the other.
            c.execute(select(t.audit_head.c.seq).where(t.audit_head.c.id == 1).with_for_update())
            signer, key, _, history_now, settings_now, _, recalled_now, made_for_now = inputs(c)
            if history_now != history or settings_now != settings or recalled_now != recalled \
                    or made_for_now != made_for:
                raise StoreError("conflict", "The patient's records, the clinic's settings or its recalled lots "
                                             "changed while the sheet was made. Finish again.")
            result, kind = made.result, made.kind.value
            product = result.product
            # The core's rule never makes a consent without a verified lot; a screening that may be
            # treated but whose lot is missing or failed is not finished either: check a good lot first.
            if kind in ("lot_not_checked", "lot_not_verified") or (
                    kind == "consent" and (product is None or not product.verified)):
                raise StoreError("refused", "A consent needs a product lot that passed every check on the "
                                            "treatment date; this one has not.")
            if pdf is not None and pdf != made.pdf:
                raise StoreError("refused", "The sheet given is not the sheet for this screening as recorded; "
                                            "make the sheet again and finish from it.")
            sha = hashlib.sha256(made.pdf).hexdigest()
            stamp = now()
            c.execute(insert(t.finished).values(
                screening_id=sid, finished_at=stamp, finished_by=signer.id, signer_name=signer.display_name,
                screening_json=_canonical(screening_file), result_json=_canonical(result.to_json()),
                sheet_kind=kind, questionnaire_version=result.questionnaire_version,
                rules_version=result.rules_version, sheet_version=sheet_version or sheet_texts()["sheet"]["version"],
                lot=product.lot if product else None, lot_verified=product.verified if product else None,
                pdf=made.pdf, pdf_sha256=sha, content_digest=default_content().digest))
            signed = {"name": screening.patient.name, "date_of_birth": screening.patient.date_of_birth.isoformat(),
                      "treatment_date": screening.treatment.date.isoformat(),
                      "patient_id": screening.patient.patient_id or ""}
            c.execute(update(t.screenings).where(t.screenings.c.id == sid).values(
                status="finished", updated_by=signer.id, updated_at=stamp, claimed_by=None, row_version=version + 1,
                **self._searchable(signed, result.outcome.value)))  # indexed as signed, not as last typed
            self._index_name(c, sid, screening.patient.name)
            self._sign_finished(c, signer, sid, key, made_for.signed.at)
            self._audit(c, signer.username, "finished", sid, {"sheet_kind": kind, "outcome": result.outcome.value,
                                                              "pdf_sha256": sha, "signer": signer.display_name})
        return self.record(sid)

    def _sign_finished(self, c, actor: Staff, sid: str, key: signing.OpenKey,
                       signed_at: str) -> signing.SignatureManifest:
        """Signs the finished row just written, as stored (so what is verified is what was signed),
        at the time the sheet printed (when it was made for signing: `sheet_stamp`)."""
        row = c.execute(select(t.finished).where(t.finished.c.screening_id == sid)).mappings().one()
        signer = c.execute(select(t.staff.c.username, t.staff.c.display_name)
                           .where(t.staff.c.id == actor.id)).one()
        outcome = json.loads(row["result_json"])["outcome"]
        manifest = signing.SignatureManifest(signer.username, signer.display_name, signed_at,
                                             meaning_for(row["sheet_kind"]), key.fingerprint)
        message = signing.message_for_row(row, {"signer": manifest.signer, "signer_name": manifest.name,
                                                "signed_at": manifest.signed_at, "meaning": manifest.meaning,
                                                "key_fingerprint": manifest.key_fingerprint}, outcome)
        c.execute(insert(t.signatures).values(
            screening_id=sid, key_fingerprint=key.fingerprint, signer=manifest.signer, signer_name=manifest.name,
            signed_at=manifest.signed_at, meaning=manifest.meaning, signature=signing.sign(key.private, message)))
        return manifest

    def signature(self, sid: str) -> signing.SignatureManifest | None:
        """Who signed a finished screening, when, and what it means: for the sheet and the views."""
        with self._read() as c:
            row = c.execute(select(t.signatures).where(t.signatures.c.screening_id == sid)).mappings().first()
        return None if row is None else signing.SignatureManifest(
            row["signer"], row["signer_name"], row["signed_at"], row["meaning"], row["key_fingerprint"])

    def sheet_stamp(self, actor: Staff, sid: str, screening_file: dict) -> SheetStamp:
        """The signature and trail mark a sheet made now for signing prints: the signed-in
        clinician who holds the screening, the store's time, and the fingerprint of an audit entry
        ("sheet made") written for it. Made once per content: asking again for the same screening
        file (within STAMP_HOURS) gives the same stamp, so a sheet printed, shown again and finished
        is the same sheet byte for byte; `finish` signs at this very time."""
        digest = _file_digest(json.loads(_canonical(screening_file)))
        with self._write() as c:
            signer = self._acting(c, actor, "sign", "sign screenings")
            row = c.execute(select(t.screenings.c.status, t.screenings.c.claimed_by)
                            .where(t.screenings.c.id == sid)).first()
            if row is None or row.status != "in_review" or row.claimed_by != signer.id:
                raise StoreError("conflict", "Only the clinician who opened this screening for review can make its "
                                             "sheet for signing.")
            found = self._stamp(c, signer, sid, digest)
            if found is not None:
                return found
            self._audit(c, signer.username, "sheet_made", sid, {"screening_sha256": digest})
            seq, digest_now = c.info["audit_head"]
            at = c.execute(select(t.audit.c.at).where(t.audit.c.seq == seq)).scalar_one()
            return SheetStamp(SignedBy(signer.display_name, at), integrity.fingerprint(seq, digest_now))

    def _stamp(self, c, signer: Staff, sid: str, digest: str) -> SheetStamp | None:
        """The latest "sheet made" stamp of `signer` for `sid`, if it was made from this very file
        and recently (a sheet made yesterday is made again, so the signing time is today's)."""
        row = c.execute(select(t.audit.c.seq, t.audit.c.at, t.audit.c.detail, t.audit.c.hash)
                        .where(t.audit.c.screening_id == sid, t.audit.c.action == "sheet_made",
                               t.audit.c.actor == signer.username)
                        .order_by(t.audit.c.seq.desc()).limit(1)).first()
        if row is None or json.loads(row.detail).get("screening_sha256") != digest:
            return None
        if dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(row.at) > dt.timedelta(hours=STAMP_HOURS):
            return None
        return SheetStamp(SignedBy(signer.display_name, row.at), integrity.fingerprint(row.seq, row.hash))

    def record(self, sid: str) -> FinishedRecord:
        with self._read() as c:
            row = c.execute(select(t.finished, t.staff.c.display_name, t.screenings.c.amends)
                            .join(t.staff, t.staff.c.id == t.finished.c.finished_by)
                            .join(t.screenings, t.screenings.c.id == t.finished.c.screening_id)
                            .where(t.finished.c.screening_id == sid)).mappings().first()
        if row is None:
            raise StoreError("refused", f"No finished screening {sid}.")
        return FinishedRecord(row["screening_id"], row["finished_at"], row["signer_name"] or row["display_name"],
                              json.loads(row["screening_json"]), json.loads(row["result_json"]), row["sheet_kind"],
                              row["questionnaire_version"], row["rules_version"], row["sheet_version"],
                              row["lot"], row["lot_verified"], bytes(row["pdf"]), row["pdf_sha256"], row["amends"],
                              row["signer_name"], row["content_digest"])

    def amend(self, actor: Staff, original: str) -> DraftRow:
        """A correction is a new screening that points to the original; the original stays.
        Only clinicians amend; the amendment starts as the clinician's own draft."""
        rec = self.record(original)
        return self.new_draft(actor, self.draft(original).draft, amends=rec.screening_id)

    # --- the paper side -----------------------------------------------------------------------------

    def record_paper(self, actor: Staff, sid: str, event: str, detail: str = "", *, scan: bytes | None = None,
                     sheet_sha256: str | None = None) -> None:
        """Records that the sheet was printed or saved, not printed (with why), or that the signed
        copy came back (optionally with its scan as PDF). Append-only; each is audited."""
        if event not in t.PAPER_EVENTS:
            raise StoreError("refused", f"Unknown paper event {event!r}.")
        if event == "not_printed" and not detail.strip():
            raise StoreError("refused", "Say why the sheet was not printed or saved.")
        if scan is not None and not (scan.startswith(b"%PDF-") and b"%%EOF" in scan[-1024:]):
            raise StoreError("refused", "The scan must be a PDF file.")
        with self._write() as c:
            actor = self._acting(c, actor, "screen" if event != "signed_copy_received" else None, "record the sheet")
            if c.execute(select(t.screenings.c.id).where(t.screenings.c.id == sid)).first() is None:
                raise StoreError("refused", "This screening does not exist.")
            sha = hashlib.sha256(scan).hexdigest() if scan is not None else None
            c.execute(insert(t.paper).values(screening_id=sid, event=event, at=now(), by=actor.id,
                                             detail=detail.strip()[:2000], scan=scan, scan_sha256=sha,
                                             sheet_sha256=sheet_sha256))
            self._audit(c, actor.username, event, sid, {"detail": detail.strip()[:200], "scan_sha256": sha,
                                                        "sheet_sha256": sheet_sha256})

    def paper_events(self, sid: str) -> list[dict]:
        """What happened to this screening's sheet on paper, oldest first (scans not included)."""
        p = t.paper
        with self._read() as c:
            rows = c.execute(select(p.c.event, p.c.at, p.c.detail, p.c.scan_sha256, p.c.sheet_sha256,
                                    t.staff.c.display_name)
                             .join(t.staff, t.staff.c.id == p.c.by).where(p.c.screening_id == sid)
                             .order_by(p.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def paper_summaries(self, sids: list[str]) -> dict[str, list[str]]:
        """For a list of screenings: the paper events of each, oldest first (one query)."""
        if not sids:
            return {}
        out: dict[str, list[str]] = {}
        with self._read() as c:
            for sid, event in c.execute(select(t.paper.c.screening_id, t.paper.c.event)
                                        .where(t.paper.c.screening_id.in_(sids)).order_by(t.paper.c.id)):
                out.setdefault(sid, []).append(event)
        return out

    def signed_copy(self, sid: str) -> bytes | None:
        with self._read() as c:
            return c.execute(select(t.paper.c.scan).where(t.paper.c.screening_id == sid,
                                                          t.paper.c.event == "signed_copy_received",
                                                          t.paper.c.scan.is_not(None))
                             .order_by(t.paper.c.id.desc()).limit(1)).scalar()

    def log(self, actor: Staff, action: str, sid: str | None, detail: dict | None = None) -> None:
        """Records that someone opened, printed or exported a screening."""
        with self._write() as c:
            actor = self._acting(c, actor, None, "")
            self._audit(c, actor.username, action, sid, detail or {})

    # --- search -----------------------------------------------------------------------------

    def search(self, *, name: str = "", date_of_birth: str = "", date_from: str = "", date_to: str = "",
               outcome: str = "", include_unfinished: bool = True, limit: int = 200) -> list[dict]:
        with self._read() as c:
            return search_list(c, self.dialect, name=name, date_of_birth=date_of_birth, date_from=date_from,
                               date_to=date_to, outcome=outcome, include_unfinished=include_unfinished, limit=limit)

    # --- settings ---------------------------------------------------------------------------------

    def settings(self) -> ClinicSettings:
        with self._read() as c:
            return self._settings(c)

    @staticmethod
    def _settings(c) -> ClinicSettings:
        raw = c.execute(select(t.settings.c.value).where(t.settings.c.key == "clinic")).scalar()
        return ClinicSettings.from_json(json.loads(raw)) if raw else ClinicSettings()

    def save_settings(self, actor: Staff, settings: ClinicSettings) -> None:
        checked, problems = ClinicSettings.checked(settings.to_json())
        if problems:
            raise StoreError("refused", "; ".join(problems))
        value = _canonical(checked.to_json())
        with self._write() as c:
            actor = self._acting(c, actor, "manage_settings", "change clinic settings")
            if c.execute(update(t.settings).where(t.settings.c.key == "clinic").values(value=value)).rowcount == 0:
                c.execute(insert(t.settings).values(key="clinic", value=value))
            self._audit(c, actor.username, "settings_changed", None, settings.to_json())

    # --- audit trail --------------------------------------------------------------------------

    def _audit(self, c, actor: str, action: str, sid: str | None, detail: dict) -> None:
        head = c.execute(select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)
                         .with_for_update()).one()
        entry = {"seq": head.seq + 1, "at": now(), "actor": actor, "action": action, "screening_id": sid,
                 "detail": _canonical(detail)}
        digest = chain_hash(head.hash, entry)
        c.execute(insert(t.audit).values(prev_hash=head.hash, hash=digest, **entry))
        c.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=entry["seq"], hash=digest))
        c.info["audit_head"] = (entry["seq"], digest)  # this workstation's anchor, once committed

    def audit_entries(self, actor: Staff, *, screening_id: str | None = None, limit: int = 500) -> list[dict]:
        query = select(t.audit).order_by(t.audit.c.seq.desc()).limit(limit)
        if screening_id:
            query = query.where(t.audit.c.screening_id == screening_id)
        with self._read() as c:
            self._acting(c, actor, "view_audit", "view the audit trail")
            return [dict(r) for r in c.execute(query).mappings()]

    def verify_audit(self, *, fingerprints: tuple[str, ...] = ()) -> tuple[bool, str]:
        """The chain, this workstation's anchor, the accounts and keys replayed from the trail,
        and every finished record and signature against it (integrity.py). Names the first
        problem. `fingerprints`: head marks from printed sheets, each must be in the chain."""
        report = self.verify_report(fingerprints=fingerprints)
        return report.ok, report.message()

    def verify_report(self, *, fingerprints: tuple[str, ...] = ()) -> integrity.Report:
        report = integrity.verify(self, chain_hash, anchor=integrity.anchor_for(self.anchor_key),
                                  marks=fingerprints)
        if report.ok:
            self._saw_head(*report.head)
        return report

    def accept_restore(self, actor: Staff, reason: str) -> str:
        """After a backup was restored on purpose: the admin records it in the trail (with the
        head this workstation had seen, and why), and the anchor moves to the restored head.
        Returns the new head's fingerprint."""
        if not reason.strip():
            raise StoreError("refused", "reason: say why the records were restored")
        anchor = integrity.anchor_for(self.anchor_key)
        with self._write() as c:
            actor = self._acting(c, actor, "manage_staff", "accept a restored backup")
            self._audit(c, actor.username, "restore_accepted", None, {
                "previous_anchor": integrity.fingerprint(*anchor) if anchor else None, "reason": reason.strip()[:500]})
        self.anchor_problem = None
        integrity.forget(self.anchor_key)
        seq, digest = self.head()
        integrity.remember(self.anchor_key, seq, digest)
        return integrity.fingerprint(seq, digest)

    def head(self) -> tuple[int, str]:
        with self._read() as c:
            row = c.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
        return row.seq, row.hash

    def head_fingerprint(self) -> str:
        """A short mark of the trail's head (e.g. "57-3F9A2C1B") for the sheet footer and the
        audit view: paper that anchors the history. `audit verify --fingerprint` checks one."""
        return integrity.fingerprint(*self.head())

    @property
    def anchor_key(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def _saw_head(self, seq: int, digest: str) -> None:
        if self.anchor_problem is None:  # a broken history is not anchored over; it stays for the admin
            integrity.remember(self.anchor_key, seq, digest)


class _Tx:
    """A transaction that turns database faults into messages staff can act on."""

    def __init__(self, store: Store, read_only: bool):
        self.store, self.read_only = store, read_only

    def __enter__(self):
        try:
            self.conn = self.store.engine.connect().execution_options(read_only=self.read_only)
            self.tx = self.conn.begin()
        except DBAPIError as exc:
            raise _translate(exc, self.store.location) from None
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
            raise _translate(commit_error, self.store.location) from None
        self.conn.close()
        if kind is None and head is not None:
            self.store._saw_head(*head)
        if isinstance(exc, DBAPIError):  # every database fault in staff words, never a traceback
            raise _translate(exc, self.store.location) from None
        return False


# The trail first: the staff and key tables' triggers ask for each row's audit entry.
COPY_ORDER = ("audit", "staff", "signing_keys", "screenings", "name_tokens", "finished", "signatures", "paper",
              "settings", "recalls", "administrations", "follow_ups", "contacts", "adverse_events")


def copy_store(source: Store, target: Store, batch: int = 2000) -> dict[str, int]:
    """Moves every record, PDF and audit entry to an empty store, then checks the copy.

    Rows are copied as they are (ids, hashes and times included), so the audit chain of
    the target verifies exactly as the source's did."""
    with target._read() as c:
        if c.execute(select(func.count()).select_from(t.staff)).scalar() or \
                c.execute(select(t.audit_head.c.seq)).scalar():
            raise StoreError("refused", f"--to: {target.location} is not empty; copy only into a new store")
    ok, message = source.verify_audit()
    if not ok:
        raise StoreError("refused", f"--from: the audit trail does not verify ({message}); not copied")
    counts = {}
    with source._read() as src, target._write() as dst:
        for name in COPY_ORDER:
            table = t.metadata.tables[name]
            query = select(table)
            if name == "screenings":  # originals before the amendments that point to them
                query = query.order_by(t.screenings.c.amends.is_not(None), t.screenings.c.created_at)
            elif name == "audit":
                query = query.order_by(t.audit.c.seq)
            elif name in ("administrations", "adverse_events"):  # originals before their corrections
                query = query.order_by(table.c.recorded_at, table.c.amends.is_not(None))
            rows, counts[name] = [], 0
            for row in src.execute(query).mappings():
                rows.append(dict(row))
                if len(rows) == batch:
                    dst.execute(insert(table), rows)
                    counts[name] += len(rows)
                    rows = []
            if rows:
                dst.execute(insert(table), rows)
                counts[name] += len(rows)
        head = src.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
        dst.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=head.seq, hash=head.hash))
        if target.dialect == "postgresql":  # ids were copied as they were: move the counter past them
            for table_name in ("staff", "signing_keys", "paper"):
                dst.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                                    f"(SELECT COALESCE(MAX(id), 1) FROM {table_name}))")
    for name in COPY_ORDER:
        with source._read() as a, target._read() as b:
            table = t.metadata.tables[name]
            left = a.execute(select(func.count()).select_from(table)).scalar()
            right = b.execute(select(func.count()).select_from(table)).scalar()
        if left != right or right != counts[name]:
            raise StoreError("refused", f"copy check: {name} has {left} rows in --from but {right} in --to")
    ok, message = target.verify_audit()
    if not ok:
        raise StoreError("refused", f"copy check: the copied audit trail does not verify ({message})")
    return counts
