"""`audit verify`: whether the records and their trail are what the app wrote.

A hash chain in the same database can be recomputed by whoever can write it, so the check
does not stop at the chain:

1. The chain: every entry linked to the one before, the head row at its end.
2. Anchors outside the database: each workstation remembers the last head it saw (a small
   file in its config folder); that entry must still be there, unchanged. A cut, emptied or
   rolled-back trail fails here. Printed sheets and the audit view carry a short fingerprint
   of the head (`fingerprint`), and `audit verify --fingerprint 57-3F9A2C1B` checks one from
   paper.
3. Replay: the trail is replayed to rebuild every account (role, active, password digest) and
   every signing key (and who endorsed it); the staff and key tables must match. A promoted
   account or a replaced password hash shows, triggers or not.
4. Every finished record against its "finished" entry (outcome, sheet kind, PDF digest,
   signer), its PDF against its digest, and its signature against a key whose registration
   is in the trail and endorsed back to the store's first key.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import paths
from ..wording import say
from . import schema as t
from . import signing
from .accounts import PERMISSIONS
from .passwords import password_fingerprint
from .statuses import Status

GENESIS = "0" * 64
ANCHOR_FILE = "audit-anchors.json"
# Account changes: each entry is signed by the acting admin's key (or, for one's own password,
# one's own key), so a change forged behind the app with a correctly chained entry shows.
STAFF_ACTIONS = ("staff_created", "staff_enabled", "staff_disabled", "staff_role_changed", "password_set")


def fingerprint(seq: int, digest: str) -> str:
    """A short, printable mark of the trail's head: entry number and 8 hex digits of its hash."""
    return f"{seq}-{digest[:8].upper()}"


# --- anchors: the last head each workstation saw ------------------------------------------

def _anchor_path():
    return paths.config_dir() / ANCHOR_FILE


def read_anchors() -> dict:
    try:
        data = json.loads(_anchor_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def anchor_for(key: str) -> tuple[int, str] | None:
    entry = read_anchors().get(key)
    if isinstance(entry, dict) and isinstance(entry.get("seq"), int) and isinstance(entry.get("hash"), str):
        return entry["seq"], entry["hash"]
    return None


def remember(key: str, seq: int, digest: str) -> None:
    """Moves this workstation's anchor for `key` forward (never back)."""
    anchors = read_anchors()
    old = anchors.get(key)
    if isinstance(old, dict) and isinstance(old.get("seq"), int) and old["seq"] >= seq:
        return
    anchors[key] = {"seq": seq, "hash": digest}
    try:
        paths.ensure_private_dir(_anchor_path().parent)
        paths.write_atomically(_anchor_path(), json.dumps(anchors, indent=1, sort_keys=True).encode("utf-8"))
        os.chmod(_anchor_path(), 0o600)
    except OSError:
        pass  # an anchor that cannot be written weakens the check; it never stops the work


def forget(key: str) -> None:
    anchors = read_anchors()
    if anchors.pop(key, None) is not None:
        paths.write_atomically(_anchor_path(), json.dumps(anchors, indent=1, sort_keys=True).encode("utf-8"))


# --- the check ---------------------------------------------------------------------------

@dataclass
class Report:
    entries: int = 0
    head: tuple[int, str] = (0, GENESIS)
    problems: list[str] = field(default_factory=list)
    finished: int = 0
    signed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        if self.problems:
            more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
            return self.problems[0] + more
        return (say("records.integrity.entries_entries_chain_intact_finished",
                    entries=self.entries, finished=self.finished, signed=self.signed, value=fingerprint(*self.head)))


def _chain(c, report: Report, chain_hash) -> list[dict]:
    rows: list[dict] = []
    prev = GENESIS
    for row in c.execute(select(t.audit).order_by(t.audit.c.seq)).mappings():
        report.entries += 1
        entry = {k: row[k] for k in ("seq", "at", "actor", "action", "screening_id", "detail")}
        if row["seq"] != report.entries:
            report.problems.append(say("records.integrity.entry_entries_missing_found_seq",
                                       entries=report.entries, seq=row['seq']))
            return rows
        if row["prev_hash"] != prev or chain_hash(prev, entry) != row["hash"]:
            report.problems.append(say("records.integrity.entry_altered", seq=row["seq"], action=row["action"],
                                       actor=row["actor"], at=row["at"]))
            return rows
        prev = row["hash"]
        rows.append(dict(row))
    head = c.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).all()
    if len(head) != 1 or (head[0].seq, head[0].hash) != (report.entries, prev):
        recorded = head[0].seq if len(head) == 1 else "no head"
        report.problems.append(say("records.integrity.chain_ends_at_entry_entries",
                                   entries=report.entries, recorded=recorded))
    report.head = (report.entries, prev)
    return rows


def check_anchor(entries: list[dict], anchor: tuple[int, str] | None) -> str | None:
    if anchor is None:
        return None
    seq, digest = anchor
    if seq == 0:
        return None
    if len(entries) < seq:
        return (say("records.integrity.workstation_last_saw_seq_audit",
                    seq=seq, head=fingerprint(seq, digest), count=len(entries)))
    if entries[seq - 1]["hash"] != digest:
        return (say("records.integrity.entry_seq_not_one_workstation", seq=seq, head=fingerprint(seq, digest)))
    return None


def check_fingerprint(entries: list[dict], mark: str) -> str | None:
    try:
        seq_text, prefix = mark.strip().split("-", 1)
        seq = int(seq_text)
    except ValueError:
        return say("records.integrity.fingerprint_mark_r_not_fingerprint", mark=mark)
    if not 1 <= seq <= len(entries) or not entries[seq - 1]["hash"].upper().startswith(prefix.upper()):
        return say("records.integrity.fingerprint_mark_from_sheet_note", mark=mark)
    return None


def verify(db, chain_hash, *, anchor: tuple[int, str] | None = None, marks: tuple[str, ...] = ()) -> Report:
    report = Report()
    with db.read() as c:
        entries = _chain(c, report, chain_hash)
        if report.problems:
            return report
        for problem in [check_anchor(entries, anchor)] + [check_fingerprint(entries, m) for m in marks]:
            if problem:
                report.problems.append(problem)
        state = _replay(entries, report)
        _check_staff(c, state, report)
        _check_keys(c, state, report)
        _check_finished(c, state, report)
    return report


@dataclass
class _State:
    accounts: dict = field(default_factory=dict)   # username -> {role, active, password, baseline}
    keys: dict = field(default_factory=dict)       # fingerprint -> {username, public_key, endorsed_by, seq, trusted}
    finished: dict = field(default_factory=dict)   # screening id -> (entry, signer role then)
    upgraded_at: int | None = None


def _replay(entries: list[dict], report: Report) -> _State:
    s = _State()
    # Entries before the upgrade to signed records were written unsigned.
    signed_from = next((e["seq"] for e in entries if e["action"] == "store_upgraded"), 0)
    for e in entries:
        try:
            d = json.loads(e["detail"])
        except ValueError:
            report.problems.append(say("records.integrity.entry_seq_has_unreadable_detail", seq=e['seq']))
            continue
        action, who = e["action"], d.get("username") if isinstance(d, dict) else None
        if action in STAFF_ACTIONS and e["seq"] > signed_from:
            problem = _unsigned_change(s, e, d, legacy=bool(signed_from))
            if problem:
                report.problems.append(problem)
        if action == "staff_baseline" and s.upgraded_at is not None:
            report.problems.append(say("records.integrity.entry_seq_account_baseline_after", seq=e['seq']))
        if action in ("staff_created", "staff_baseline"):
            if who in s.accounts and action == "staff_created":
                report.problems.append(say("records.integrity.entry_seq_creates_account_who", seq=e['seq'], who=who))
            s.accounts[who] = {"role": d.get("role"), "active": d.get("active", True),
                               "password": d.get("password"), "baseline": action == "staff_baseline",
                               "created_by": e["actor"]}
        elif action in ("staff_enabled", "staff_disabled") and who in s.accounts:
            s.accounts[who]["active"] = action == "staff_enabled"
        elif action == "staff_role_changed" and who in s.accounts:
            s.accounts[who]["role"] = d.get("role")
        elif action == "password_set" and who in s.accounts:
            s.accounts[who]["password"] = d.get("password")
        elif action == "store_upgraded":
            if s.upgraded_at is not None or s.keys:
                report.problems.append(say("records.integrity.entry_seq_second_late_store", seq=e['seq']))
            else:
                s.upgraded_at = e["seq"]
        elif action == "signing_key_registered":
            s.keys[d.get("fingerprint")] = key = {"username": who, "public_key": d.get("public_key"),
                                                  "endorsed_by": d.get("endorsed_by"), "seq": e["seq"],
                                                  "trusted": False}
            key["trusted"], why = _trusted(s, key, e["actor"])
            if not key["trusted"]:
                report.problems.append(say("records.integrity.entry_seq_signing_key_registered",
                                           seq=e['seq'], who=who, why=why))
        elif action == "finished" and e["screening_id"]:
            account = s.accounts.get(e["actor"], {})
            s.finished[e["screening_id"]] = (e, d, account.get("role"), account.get("active"))
    return s


def _unsigned_change(s: _State, e: dict, d: dict, legacy: bool) -> str | None:
    """Why an account change is not the act of an admin (or of the account's owner, for their
    own password), signed with their trusted key; None when it is."""
    where = f"entry {e['seq']} ({e['action']} of {d.get('username')!r} by {e['actor']!r})"
    if e["action"] == "staff_created" and not s.accounts and not s.keys and not legacy:
        return None  # the store's first account: created before any key exists
    key = s.keys.get(d.get("by_key"))
    if key is None or not key["trusted"] or key["username"] != e["actor"] or not d.get("sig") or \
            not signing.verify(key["public_key"], signing.entry_message(e["action"], e["actor"], d), d["sig"]):
        return say("records.integrity.where_not_signed_by_its", where=where)
    actor = s.accounts.get(e["actor"], {})
    own_password = e["action"] == "password_set" and d.get("username") == e["actor"]
    if not actor.get("active") or (actor.get("role") != "admin" and not own_password):
        return say("records.integrity.where_actor_r_could_not", where=where, actor=e['actor'])
    return None


def _trusted(s: _State, key: dict, actor: str) -> tuple[bool, str]:
    owner = key["username"]
    if owner not in s.accounts:
        return False, say("records.integrity.key_no_account")
    earlier = [k for fp, k in s.keys.items() if k is not key]
    if key["endorsed_by"] is None:
        first_in_store = not earlier
        first_of_legacy = s.accounts[owner]["baseline"] and not any(k["username"] == owner for k in earlier)
        if first_in_store or first_of_legacy:
            return True, ""
        return False, say("records.integrity.key_self_endorsed")
    endorser = s.keys.get(key["endorsed_by"])
    if endorser is None or endorser is key or not endorser["trusted"]:
        return False, say("records.integrity.key_untrusted_endorser")
    endorser_role = s.accounts.get(endorser["username"], {}).get("role")
    if endorser["username"] != owner and endorser_role != "admin":
        return False, say("records.integrity.key_endorser_not_allowed", endorser=endorser["username"])
    return True, ""


def _check_staff(c, s: _State, report: Report) -> None:
    seen = set()
    for row in c.execute(select(t.staff)).mappings():
        u = row["username"]
        seen.add(u)
        want = s.accounts.get(u)
        if want is None:
            report.problems.append(say("records.integrity.account_u_r_staff_table", u=u))
            continue
        if row["role"] != want["role"]:
            report.problems.append(say("records.integrity.account_u_r_has_role",
                                       u=u, role=row['role'], role2=want['role']))
        if bool(row["active"]) != bool(want["active"]):
            report.problems.append(say("records.integrity.account_u_r_value_but",
                                       u=u, value='on' if row['active'] else 'off'))
        if want["password"] is not None and password_fingerprint(row["password_hash"]) != want["password"]:
            report.problems.append(say("records.integrity.password_u_r_was_replaced", u=u))
    for u in set(s.accounts) - seen:
        report.problems.append(say("records.integrity.account_u_r_trail_but", u=u))


def _check_keys(c, s: _State, report: Report) -> None:
    seen = set()
    for row in c.execute(select(t.signing_keys)).mappings():
        fp = row["fingerprint"]
        seen.add(fp)
        want = s.keys.get(fp)
        if want is None or want["username"] != row["username"] or want["public_key"] != row["public_key"] \
                or want["endorsed_by"] != row["endorsed_by"] or signing.fingerprint(row["public_key"]) != fp:
            report.problems.append(say("records.integrity.signing_key_value_username_r",
                                       value=fp[:12], username=row['username']))
            s.keys.get(fp, {})["trusted"] = False
            continue
        endorser = s.keys.get(row["endorsed_by"]) if row["endorsed_by"] else want
        if endorser is None or not signing.verify(endorser["public_key"],
                                                  signing.endorsement_message(row["username"], fp),
                                                  row["endorsement"]):
            report.problems.append(say("records.integrity.signing_key_value_username_r_2",
                                       value=fp[:12], username=row['username']))
            want["trusted"] = False
    for fp in set(s.keys) - seen:
        report.problems.append(say("records.integrity.signing_key_value_registered_trail", value=fp[:12]))
        s.keys[fp]["trusted"] = False


def _check_finished(c, s: _State, report: Report) -> None:
    sigs = {r["screening_id"]: dict(r) for r in c.execute(select(t.signatures)).mappings()}
    query = (select(t.finished, t.screenings.c.status, t.screenings.c.outcome, t.staff.c.username)
             .join(t.screenings, t.screenings.c.id == t.finished.c.screening_id)
             .join(t.staff, t.staff.c.id == t.finished.c.finished_by))
    seen = set()
    for row in c.execute(query).mappings():
        sid = row["screening_id"]
        seen.add(sid)
        report.finished += 1
        where = say("records.integrity.finished_screening_sid", sid=sid)
        if hashlib.sha256(bytes(row["pdf"])).hexdigest() != row["pdf_sha256"]:
            report.problems.append(say("records.integrity.where_its_pdf_does_not", where=where))
        try:
            result_outcome = json.loads(row["result_json"]).get("outcome")
        except (ValueError, AttributeError):
            result_outcome = None
        if row["status"] != Status.FINISHED or row["outcome"] != result_outcome:
            report.problems.append(say("records.integrity.where_its_status_outcome_differs", where=where))
        found = s.finished.get(sid)
        if found is None:
            report.problems.append(say("records.integrity.where_has_no_finished_entry", where=where))
            continue
        entry, detail, role_then, active_then = found
        for name, value in (("sheet_kind", row["sheet_kind"]), ("outcome", row["outcome"]),
                            ("pdf_sha256", row["pdf_sha256"])):
            if detail.get(name) != value:
                report.problems.append(say("records.integrity.where_differs", where=where, name=name.replace("_", " "),
                                           value=value, seq=entry["seq"], recorded=detail.get(name)))
        if entry["actor"] != row["username"]:
            report.problems.append(say("records.integrity.where_finished_by_username_r",
                                       where=where, username=row['username'], actor=entry['actor']))
        sig = sigs.pop(sid, None)
        if sig is None:
            if s.upgraded_at is None or entry["seq"] > s.upgraded_at:
                report.problems.append(say("records.integrity.where_carries_no_signature", where=where))
            continue
        key = s.keys.get(sig["key_fingerprint"])
        if key is None or not key["trusted"] or key["seq"] > entry["seq"]:
            report.problems.append(say("records.integrity.where_signed_with_key_not", where=where))
        elif key["username"] != row["username"] or sig["signer"] != row["username"]:
            report.problems.append(say("records.integrity.where_signed_with_key_username",
                                       where=where, username=key['username']))
        elif not signing.verify(key["public_key"], signing.message_for_row(row, sig, row["outcome"]),
                                sig["signature"]):
            report.problems.append(say("records.integrity.where_its_signature_does_not", where=where))
        elif "sign" not in PERMISSIONS.get(role_then, ()) or not active_then:
            report.problems.append(say("records.integrity.where_was_signed_by_username",
                                       where=where, username=row['username']))
        else:
            report.signed += 1
    for sid in set(s.finished) - seen:
        report.problems.append(say("records.integrity.finished_screening_sid_recorded_trail", sid=sid))
    for sid in sigs:
        report.problems.append(say("records.integrity.signature_for_sid_belongs_no", sid=sid))
