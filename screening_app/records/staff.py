"""Staff accounts in the store: creating them, switching them on and off, roles, passwords,
signing in (with its lock after repeated failures) and each account's signing key, opened by
its owner's password for this session only (signing.py)."""
from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..wording import say
from . import StoreError, signing
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
from .acting import acting
from .audit import append, now
from .database import Database
from .lifecycle import unclaim
from .passwords import dummy_hash, password_fingerprint
from .signin import SignInGuard
from .statuses import Status


class StaffAccounts:
    def __init__(self, db: Database):
        self.db = db
        self.keys: dict[int, signing.OpenKey] = {}  # signing keys opened by their owners' passwords
        self.signin_guard = SignInGuard()

    def whoami(self, actor: Staff) -> Staff:
        """The signed-in account as it stands in the database (role, name, switched on)."""
        with self.db.read() as c:
            return acting(c, actor, None, "")

    def has_staff(self) -> bool:
        with self.db.read() as c:
            return (c.execute(select(func.count()).select_from(t.staff)).scalar() or 0) > 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> Staff:
        """Only on a store with no accounts: the first start creates the admin and the store's
        first signing key, the one every later key is endorsed back to."""
        with self.db.write() as c:
            if c.execute(select(func.count()).select_from(t.staff)).scalar():
                raise PermissionDenied(say("records.staff.admin_exists_already_ask_them"))
            staff = self._insert_staff(c, normalise_username(username), display_name, "admin", password,
                                       actor=None, endorser=None)
            return staff

    def add_staff(self, actor: Staff, username: str, display_name: str, role: str, password: str) -> Staff:
        with self.db.write() as c:
            actor = acting(c, actor, "manage_staff", "manage accounts")
            endorser = self.open_key(actor)
            return self._insert_staff(c, normalise_username(username), display_name, role, password,
                                      actor=actor.username, endorser=endorser)

    def _insert_staff(self, c, username, display_name, role, password, *, actor, endorser) -> Staff:
        """The account, its audit entry (written first: the staff table's trigger asks for it),
        and its signing key sealed by the password, endorsed by the admin's key."""
        problems = []
        if problem := username_problem(username):
            problems.append(f"username: {problem}")
        if not display_name.strip():
            problems.append(say("records.staff.name_empty"))
        if role not in t.ROLES:
            problems.append(say("records.staff.role_must_one_value", value=', '.join(t.ROLES)))
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
        self.keys[staff.id] = signing.register_key(c, append, staff_id=staff.id, username=username,
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
        append(c, actor, action, None, signing.signed_detail(key, action, actor, detail))

    def open_key(self, actor: Staff) -> signing.OpenKey:
        key = self.keys.get(actor.id)
        if key is None:
            raise StoreError("refused", say("records.staff.sign_again_first_your_signing"))
        return key

    def set_staff_active(self, actor: Staff, username: str, active: bool) -> None:
        """Switches an account on or off. Switching off also hands back every screening the
        account holds for review, so no claim outlives the person's access. The audit entry is
        written first: the staff table's trigger asks for it."""
        with self.db.write() as c:
            actor = acting(c, actor, "manage_staff", "manage accounts")
            username = self._account_name(c, username)
            if username == actor.username and not active:
                raise StoreError("refused", say("records.staff.you_cannot_switch_off_your"))
            target = c.execute(select(t.staff.c.id).where(t.staff.c.username == username)).scalar()
            self._staff_audit(c, actor.username, self.open_key(actor), "staff_enabled" if active
                              else "staff_disabled", {"username": username})
            c.execute(update(t.staff).where(t.staff.c.id == target).values(active=active))
            if not active:
                held = c.execute(select(t.screenings.c.id).where(
                    t.screenings.c.claimed_by == target, t.screenings.c.status == Status.IN_REVIEW)).scalars().all()
                for sid in held:
                    unclaim(c, sid)
                    append(c, actor.username, "claim_released", sid,
                           {"holder": username, "reason": "account switched off"})

    def set_staff_role(self, actor: Staff, username: str, role: str) -> None:
        if role not in t.ROLES:
            raise StoreError("refused", say("records.staff.role_must_one_value", value=', '.join(t.ROLES)))
        with self.db.write() as c:
            actor = acting(c, actor, "manage_staff", "manage accounts")
            username = self._account_name(c, username)
            if username == actor.username:
                raise StoreError("refused", say("records.staff.you_cannot_change_your_own"))
            self._staff_audit(c, actor.username, self.open_key(actor), "staff_role_changed",
                              {"username": username, "role": role})
            c.execute(update(t.staff).where(t.staff.c.username == username).values(role=role))

    def set_password(self, actor: Staff, username: str, password: str) -> None:
        """A new password and with it a new signing key, endorsed by the admin's key (a reset) or
        the owner's own previous key (a change); old keys stay for old signatures."""
        with self.db.write() as c:
            actor = acting(c, actor, None, "")
            username = self._account_name(c, username)
            if actor.username != username:
                actor.require("manage_staff", say("records.staff.change_another_person_s_password"))
            endorser = self.open_key(actor)
            row = c.execute(select(t.staff.c.id, t.staff.c.display_name)
                            .where(t.staff.c.username == username)).one()
            if problem := password_problem(password, username=username, name=row.display_name):
                raise StoreError("refused", f"password: {problem}")
            hashed = hash_password(password)
            self._staff_audit(c, actor.username, endorser, "password_set",
                              {"username": username, "password": password_fingerprint(hashed)})
            c.execute(update(t.staff).where(t.staff.c.username == username).values(password_hash=hashed))
            self.keys[row.id] = signing.register_key(c, append, staff_id=row.id, username=username,
                                                     password=password, actor=actor.username,
                                                     endorser=endorser, now=now())

    def list_staff(self, actor: Staff) -> list[Staff]:
        with self.db.read() as c:
            acting(c, actor, "manage_staff", "manage accounts")
            rows = c.execute(select(t.staff).order_by(t.staff.c.username)).mappings()
            return [Staff(r["id"], r["username"], r["display_name"], r["role"], bool(r["active"])) for r in rows]

    def authenticate(self, username: str, password: str) -> Staff | None:
        """The account, or None for a wrong name or password (the same answer, in the same time,
        for both). Repeated failures slow down, then lock the name (signin.py); a locked name
        raises StoreError("locked"). Signing in opens the account's signing key."""
        name = normalise_username(username)[:64]
        with self.db.write() as c:
            self.signin_guard.before(c, name)
        with self.db.read() as c:
            row = None
            for candidate in dict.fromkeys((name, username.strip()[:64])):  # exact: accounts from before folding
                row = row or c.execute(select(t.staff).where(t.staff.c.username == candidate)).mappings().first()
        stored_hash = row["password_hash"] if row is not None and row["active"] else None
        ok = verify_password(password, stored_hash or dummy_hash()) and stored_hash is not None
        locked = False
        with self.db.write() as c:
            if ok and row is not None:
                self.signin_guard.succeeded(c, name)
                append(c, row["username"], "signed_in", None, {})
                self.keys[row["id"]] = self._unseal_or_register(c, row, password)
            else:
                locked = self.signin_guard.failed(c, name)
                append(c, name, "sign_in_failed", None, {})
                if locked:
                    append(c, "system", "sign_in_locked", None, {"username": name})
        return Staff(row["id"], row["username"], row["display_name"], row["role"]) if ok and row is not None else None

    def _unseal_or_register(self, c, row, password: str) -> signing.OpenKey:
        key = signing.open_key(c, row["id"], password)
        if key is None:  # an account from before signing began: its first key, self-endorsed
            key = signing.register_key(c, append, staff_id=row["id"], username=row["username"],
                                       password=password, actor=row["username"], endorser=None, now=now())
        return key

    def unlock_signin(self, actor: Staff, username: str) -> None:
        """An admin lifts the lock after repeated wrong passwords."""
        name = normalise_username(username)[:64]
        with self.db.write() as c:
            actor = acting(c, actor, "manage_staff", "unlock accounts")
            self.signin_guard.succeeded(c, name)
            append(c, actor.username, "sign_in_unlocked", None, {"username": name})

    def locked_signins(self, actor: Staff) -> list[str]:
        with self.db.read() as c:
            acting(c, actor, "manage_staff", "manage accounts")
            return SignInGuard.locked_names(c, self.signin_guard.clock())

    def check_password(self, staff: Staff, password: str) -> bool:
        """For unlocking after the idle lock: the same person, their password. Reopens the key."""
        with self.db.read() as c:
            stored = c.execute(select(t.staff).where(t.staff.c.id == staff.id)).mappings().first()
        stored_hash = stored["password_hash"] if stored is not None and stored["active"] else None
        ok = verify_password(password, stored_hash or dummy_hash()) and stored_hash is not None
        with self.db.write() as c:
            append(c, staff.username, "unlocked" if ok else "unlock_failed", None, {})
            if ok and stored is not None:
                self.keys[staff.id] = self._unseal_or_register(c, stored, password)
        return ok

    def forget_signing_key(self, staff: Staff) -> None:
        """The idle lock and sign-out: the key is closed until the password is typed again."""
        self.keys.pop(staff.id, None)
