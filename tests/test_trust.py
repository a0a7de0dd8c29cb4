"""Ensure the records can be trusted: every attack below is done as an attacker with direct
access to the database would do it (raw SQL, triggers dropped or disabled, the hash chain
recomputed), on SQLite and on PostgreSQL, and `audit verify` or the database refuses or
names it. Faults are explained in staff words, without patient data."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOOD_PRODUCT, PASSWORD, all_answers, screening_file
from sqlalchemy import insert, select, text

from screening_app.casework import Draft
from screening_app.records import StoreError, integrity, signing
from screening_app.records import schema as t
from screening_app.records.accounts import hash_password
from screening_app.records.store import GENESIS, Store, _canonical, chain_hash, now

ROOT = Path(__file__).resolve().parent.parent
def finish_one(store, people, **answers):
    d = Draft(name="Zoë Ångström", date_of_birth="1980-04-02", route="topical", area="face",
              answers=all_answers(**answers), product=dict(GOOD_PRODUCT))
    row = store.new_draft(people["desk"], d.to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    claimed = store.claim(people["doc"], row.id)
    rec = store.finish(people["doc"], row.id, version=claimed.row_version, screening_file=d.to_screening_file(),
                       sheet_version="1.0.0")
    return row.id, rec


# --- the attacker's tools ------------------------------------------------------------------

def sql(store, statement: str, **params):
    with store.engine.connect() as c:
        result = c.execute(text(statement), params)
        rows = result.all() if result.returns_rows else None
        c.commit()
    return rows


def triggers_off(store):
    """What anyone who can write the SQLite file, or who owns the PostgreSQL tables, can do."""
    if store.dialect == "sqlite":
        for (name,) in sql(store, "SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            sql(store, f"DROP TRIGGER {name}")
    else:
        for table in t.metadata.tables:
            sql(store, f"ALTER TABLE {table} DISABLE TRIGGER USER")


def rechain(store):
    """Recomputes every hash of the chain and moves the head, as a careful attacker would."""
    prev = GENESIS
    rows = sql(store, "SELECT seq, at, actor, action, screening_id, detail FROM audit ORDER BY seq")
    for r in rows:
        entry = {"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "screening_id": r.screening_id,
                 "detail": r.detail}
        digest = chain_hash(prev, entry)
        sql(store, "UPDATE audit SET prev_hash = :p, hash = :h WHERE seq = :s", p=prev, h=digest, s=r.seq)
        prev = digest
    sql(store, "UPDATE audit_head SET seq = :s, hash = :h", s=len(rows), h=prev)


def append_entry(store, actor, action, sid, detail):
    """Appends a correctly chained entry, respecting every trigger (none dropped)."""
    head = sql(store, "SELECT seq, hash FROM audit_head")[0]
    entry = {"seq": head.seq + 1, "at": now(), "actor": actor, "action": action, "screening_id": sid,
             "detail": _canonical(detail)}
    digest = chain_hash(head.hash, entry)
    with store.engine.connect() as c:
        c.execute(insert(t.audit).values(prev_hash=head.hash, hash=digest, **entry))
        c.execute(t.audit_head.update().values(seq=entry["seq"], hash=digest))
        c.commit()


def other_workstation(store):
    """The same database seen from a workstation that never anchored it (or whose anchor file the
    attacker removed): only what the database itself holds can reveal the attack."""
    integrity.forget(store.anchor_key)


def refused(store, statement, **params):
    with pytest.raises(Exception) as caught:
        sql(store, statement, **params)
    return str(caught.value)


# --- 1. verification that means something --------------------------------------------------

def test_an_honest_store_verifies_and_anchors_its_head(store, people):
    finish_one(store, people)
    ok, message = store.verify_audit()
    assert ok, message
    assert "1 finished record(s) match the trail, 1 signed" in message
    seq, digest = store.head()
    assert integrity.anchor_for(store.anchor_key) == (seq, digest)
    assert store.head_fingerprint() == f"{seq}-{digest[:8].upper()}"


def test_a_rewritten_and_rechained_trail_is_caught_by_the_anchor_and_by_paper(store, people):
    finish_one(store, people)
    printed = store.head_fingerprint()  # on the sheet just printed
    triggers_off(store)
    sql(store, "UPDATE audit SET actor = 'nobody' WHERE action = 'created'")
    rechain(store)
    ok, message = store.verify_audit()
    assert not ok and "this workstation saw" in message
    other_workstation(store)
    assert store.verify_audit()[0]  # the chain alone now fits: only the anchors tell
    ok, message = store.verify_audit(fingerprints=(printed,))
    assert not ok and f"fingerprint {printed}" in message


def test_the_audit_head_follows_the_trail_and_cannot_be_moved(store, people):
    refused(store, "UPDATE audit_head SET seq = seq - 1")
    refused(store, "UPDATE audit_head SET hash = :h", h="f" * 64)
    refused(store, "DELETE FROM audit_head")
    refused(store, "INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, :h)", h=GENESIS)
    refused(store, "DELETE FROM audit WHERE seq = 1")
    head = sql(store, "SELECT seq, hash FROM audit_head")[0]
    # An entry that does not follow the last one, or not linked to it, is refused.
    refused(store, "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) "
                   "VALUES (:s, 'x', 'x', 'x', '{}', :p, :p)", s=head.seq + 5, p=head.hash)
    refused(store, "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) "
                   "VALUES (:s, 'x', 'x', 'x', '{}', :p, :p)", s=head.seq + 1, p=GENESIS)
    assert store.verify_audit()[0]


def test_a_cut_tail_is_detected(store, people):
    finish_one(store, people)
    triggers_off(store)
    sql(store, "DELETE FROM audit WHERE seq > 3")
    rechain(store)
    ok, message = store.verify_audit()
    assert not ok and "cut, emptied or rolled back" in message
    other_workstation(store)
    ok, message = store.verify_audit()  # the finished record and the accounts still tell
    assert not ok and ("no 'finished' entry" in message or "never created" in message)


def test_an_emptied_trail_is_refused_at_opening_and_detected(store, store_url, people):
    finish_one(store, people)
    triggers_off(store)
    sql(store, "DELETE FROM audit")
    sql(store, "UPDATE audit_head SET seq = 0, hash = :h", h=GENESIS)
    with pytest.raises(StoreError) as caught:
        Store.open(url=store_url)
    assert caught.value.kind == "damaged" and "is empty, but this workstation saw" in str(caught.value)
    other_workstation(store)
    ok, message = store.verify_audit()
    assert not ok and ("never created in the trail" in message or "no 'finished' entry" in message)


def test_a_rolled_back_sqlite_file_is_detected(tmp_path):
    folder = tmp_path / "data"
    store = Store.open(folder)
    people = {"admin": store.create_first_admin("admin", "Ada Admin", PASSWORD)}
    people["desk"] = store.add_staff(people["admin"], "desk", "Dee Desk", "front_desk", PASSWORD)
    people["doc"] = store.add_staff(people["admin"], "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    store.close()
    backup = sqlite3.connect(tmp_path / "old.sqlite3")
    sqlite3.connect(folder / "screenings.sqlite3").backup(backup)
    backup.close()
    store = Store.open(folder)
    people = {k: store.authenticate(k2, PASSWORD) for k, k2 in (("desk", "desk"), ("doc", "chen"))}
    finish_one(store, people)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(folder / "screenings.sqlite3") + suffix).unlink(missing_ok=True)
    shutil.copy(tmp_path / "old.sqlite3", folder / "screenings.sqlite3")  # the attacker rolls it back
    store = Store.open(folder)
    assert store.anchor_problem and "rolled back" in store.anchor_problem
    ok, message = store.verify_audit()
    assert not ok and "rolled back" in message
    admin = store.authenticate("admin", PASSWORD)  # work goes on, but the anchor is not moved over the damage
    assert not store.verify_audit()[0]
    # A restore made on purpose is accepted by an admin, in the trail, with the old anchor.
    with pytest.raises(StoreError, match="reason"):
        store.accept_restore(admin, " ")
    store.accept_restore(admin, "restored last night's backup after a disk fault")
    assert store.verify_audit()[0]
    entry = store.audit_entries(admin, limit=1)[0]
    assert entry["action"] == "restore_accepted" and "previous_anchor" in entry["detail"]
    store.close()


def test_do_not_treat_rewritten_as_a_consent_is_detected(store, people):
    sid, rec = finish_one(store, people, active_malignancy="yes")
    assert rec.sheet_kind == "do_not_treat"
    triggers_off(store)
    sql(store, "UPDATE finished SET sheet_kind = 'consent' WHERE screening_id = :s", s=sid)
    sql(store, "UPDATE audit SET detail = REPLACE(detail, '\"sheet_kind\":\"do_not_treat\"', "
               "'\"sheet_kind\":\"consent\"') WHERE action = 'finished'")
    rechain(store)
    other_workstation(store)
    ok, message = store.verify_audit()
    assert not ok and "signature does not match its content" in message


def test_a_swapped_pdf_and_digest_are_detected(store, people):
    import hashlib
    sid, rec = finish_one(store, people)
    forged = b"%PDF-1.4 another sheet"
    digest = hashlib.sha256(forged).hexdigest()
    triggers_off(store)
    sql(store, "UPDATE finished SET pdf = :p, pdf_sha256 = :d WHERE screening_id = :s", p=forged, d=digest, s=sid)
    sql(store, "UPDATE audit SET detail = REPLACE(detail, :old, :new) WHERE action = 'finished'",
        old=rec.pdf_sha256, new=digest)
    rechain(store)
    other_workstation(store)
    ok, message = store.verify_audit()
    assert not ok and "signature does not match its content" in message
    # Swapping the PDF alone, without its digest, shows as well.
    sql(store, "UPDATE finished SET pdf = :p WHERE screening_id = :s", p=b"%PDF-1.4 a third", s=sid)
    assert "does not match its digest" in " ".join(store.verify_report().problems)


def forge_finished(store, people, sid):
    """A finished consent added behind the app, with every trigger in place and its 'finished'
    entry correctly chained: the attack that needs no trigger dropped."""
    import hashlib
    d = Draft(name="Zoë Ångström", date_of_birth="1980-04-02", route="topical", area="face",
              answers=all_answers(), product=dict(GOOD_PRODUCT))
    pdf = b"%PDF-1.4 forged consent"
    result = {"outcome": "proceed"}
    sql(store, "INSERT INTO finished (screening_id, finished_at, finished_by, screening_json, result_json, "
               "sheet_kind, questionnaire_version, rules_version, sheet_version, pdf, pdf_sha256) VALUES "
               "(:s, :at, :by, :sj, :rj, 'consent', 'q', 'r', '1.0.0', :pdf, :sha)",
        s=sid, at=now(), by=people["doc"].id, sj=json.dumps(d.to_screening_file()), rj=json.dumps(result),
        pdf=pdf, sha=hashlib.sha256(pdf).hexdigest())
    sql(store, "UPDATE screenings SET status = 'finished', outcome = 'proceed' WHERE id = :s", s=sid)
    append_entry(store, "chen", "finished", sid, {"sheet_kind": "consent", "outcome": "proceed",
                                                  "pdf_sha256": hashlib.sha256(pdf).hexdigest()})
    return pdf


def test_a_forged_finished_consent_with_a_chained_entry_is_detected(store, people):
    row = store.new_draft(people["desk"], {"name": "Zoë Ångström"})
    forge_finished(store, people, row.id)
    ok, message = store.verify_audit()
    assert not ok and "carries no signature" in message


def test_a_forged_key_registered_behind_the_app_is_not_trusted(store, people):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    row = store.new_draft(people["desk"], {"name": "Zoë Ångström"})
    forge_finished(store, people, row.id)
    private = Ed25519PrivateKey.generate()
    public = signing._b64(signing.public_raw(private))
    fp = signing.fingerprint(public)
    append_entry(store, "admin", "signing_key_registered", None,
                 {"username": "chen", "fingerprint": fp, "public_key": public, "endorsed_by": None})
    sql(store, "INSERT INTO signing_keys (staff_id, username, public_key, fingerprint, sealed_key, endorsed_by, "
               "endorsement, registered_at) VALUES (:i, 'chen', :pk, :fp, 'x', NULL, :e, :at)",
        i=people["doc"].id, pk=public, fp=fp, e=signing.sign(private, signing.endorsement_message("chen", fp)),
        at=now())
    with store.engine.connect() as c:
        f = c.execute(select(t.finished).where(t.finished.c.screening_id == row.id)).mappings().one()
        manifest = {"signer": "chen", "signer_name": "Dr. Maya Chen", "signed_at": f["finished_at"],
                    "meaning": "reviewed and approved for treatment", "key_fingerprint": fp}
        c.execute(insert(t.signatures).values(screening_id=row.id, signature=signing.sign(
            private, signing.message_for_row(f, manifest, "proceed")), **manifest))
        c.commit()
    report = store.verify_report()
    assert not report.ok
    assert any("endorses itself, though it is not the store's first key" in p for p in report.problems)
    assert any("not a trusted, registered key" in p for p in report.problems)


def test_staff_changes_are_refused_without_their_audit_entry(store, people):
    refused(store, "UPDATE staff SET role = 'clinician' WHERE username = 'desk'")
    refused(store, "UPDATE staff SET password_hash = :h WHERE username = 'admin'", h=hash_password("x" * 12))
    refused(store, "UPDATE staff SET active = :a WHERE username = 'chen'", a=False)
    refused(store, "DELETE FROM staff WHERE username = 'chen'")
    refused(store, "INSERT INTO staff (username, display_name, role, password_hash, active, created_at) "
                   "VALUES ('mallory', 'M', 'admin', :h, :a, 'x')", h=hash_password("x" * 12), a=True)
    # Through the store, each change is made with its entry, and the trail replays to the table.
    store.set_staff_role(people["admin"], "desk", "clinician")
    store.set_staff_active(people["admin"], "chen", False)
    actions = [e["action"] for e in store.audit_entries(people["admin"], limit=3)]
    assert actions[:2] == ["staff_disabled", "staff_role_changed"]
    assert store.verify_audit()[0]


def test_promotion_and_password_replacement_behind_the_triggers_are_detected(store, people):
    triggers_off(store)
    sql(store, "UPDATE staff SET role = 'clinician' WHERE username = 'desk'")
    assert "has the role 'clinician', but the trail gives 'front_desk'" in store.verify_audit()[1]
    sql(store, "UPDATE staff SET role = 'front_desk' WHERE username = 'desk'")
    sql(store, "UPDATE staff SET password_hash = :h WHERE username = 'admin'", h=hash_password("mallory knows"))
    assert "the password of 'admin' was replaced outside the app" in store.verify_audit()[1]


def test_a_forged_account_is_detected(store, people):
    triggers_off(store)
    sql(store, "INSERT INTO staff (username, display_name, role, password_hash, active, created_at) "
               "VALUES ('mallory', 'M', 'admin', :h, :a, 'x')", h=hash_password("mallory knows"), a=True)
    assert "'mallory' is in the staff table but was never created in the trail" in store.verify_audit()[1]


def test_signatures_and_keys_are_never_rewritten(store, people):
    sid, _ = finish_one(store, people)
    refused(store, "UPDATE signatures SET meaning = 'x'")
    refused(store, "DELETE FROM signatures")
    refused(store, "UPDATE signing_keys SET username = 'admin'")
    refused(store, "DELETE FROM signing_keys")


# --- 2. signed records ---------------------------------------------------------------------

def test_each_finished_record_is_signed_by_its_clinician(store, people):
    sid, rec = finish_one(store, people)
    sig = store.signature(sid)
    # Signed at the time its sheet was made for signing (what the sheet prints), by the account.
    made = [e for e in store.audit_entries(people["admin"], screening_id=sid) if e["action"] == "sheet_made"]
    assert len(made) == 1 and made[0]["actor"] == "chen"
    assert (sig.signer, sig.name, sig.signed_at) == ("chen", "Dr. Maya Chen", made[0]["at"])
    assert sig.signed_at <= rec.finished_at
    assert sig.meaning == "reviewed and approved for treatment"
    assert sig.line().startswith("Signed electronically by Dr. Maya Chen on ")
    assert sig.line().endswith("UTC: reviewed and approved for treatment.")
    report = store.verify_report()
    assert report.ok and report.signed == 1
    dnt, _ = finish_one(store, people, active_malignancy="yes")
    assert store.signature(dnt).meaning == "reviewed: not to be treated"


def test_the_sheet_prints_the_signature_and_the_trail_mark_it_was_signed_with(store, people):
    from pypdf import PdfReader
    sid, rec = finish_one(store, people)
    sig = store.signature(sid)
    pages = [p.extract_text() for p in PdfReader(__import__("io").BytesIO(rec.pdf)).pages]
    text = " ".join(" ".join(pages).split())
    assert "Electronic signature" in text and sig.line() in text
    made = [e for e in store.audit_entries(people["admin"], screening_id=sid) if e["action"] == "sheet_made"][0]
    mark = integrity.fingerprint(made["seq"], made["hash"])
    assert all(f"Record {mark}" in " ".join(p.split()) for p in pages)  # in every page's footer
    ok, message = store.verify_audit(fingerprints=(mark,))
    assert ok, message
    ok, _ = store.verify_audit(fingerprints=(f"{made['seq']}-00000000",))
    assert not ok  # a mark the trail does not hold is a finding


def test_the_private_key_is_sealed_by_the_password(store, people):
    row = sql(store, "SELECT fingerprint, sealed_key FROM signing_keys WHERE username = 'chen'")[0]
    assert signing.unseal(row.sealed_key, "not the password", row.fingerprint) is None
    private = signing.unseal(row.sealed_key, PASSWORD, row.fingerprint)
    raw = private.private_bytes_raw()
    import base64
    assert base64.b64encode(raw).decode() not in row.sealed_key


def test_finishing_needs_the_signers_own_key_opened_by_their_password(store, store_url, people):
    d = Draft(name="Zoë Ångström", date_of_birth="1980-04-02", route="topical", answers=all_answers(),
              product=dict(GOOD_PRODUCT))
    row = store.new_draft(people["desk"], d.to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    claimed = store.claim(people["doc"], row.id)
    other = Store.open(url=store_url)  # another process that holds a Staff object, not the password
    try:
        with pytest.raises(StoreError, match="signing key is open only after"):
            other.finish(people["doc"], row.id, version=claimed.row_version, screening_file=d.to_screening_file(),
                         sheet_version="1.0.0")
        doc = other.authenticate("chen", PASSWORD)
        other.finish(doc, row.id, version=claimed.row_version, screening_file=d.to_screening_file(),
                     sheet_version="1.0.0")
    finally:
        other.close()
    assert store.verify_report().signed == 1


def test_a_new_password_brings_a_new_key_and_old_signatures_still_verify(store, people):
    finish_one(store, people)
    store.set_password(people["doc"], "chen", "another long secret")
    finish_one(store, people)
    store.set_password(people["admin"], "chen", "a reset by the admin")
    assert len(sql(store, "SELECT id FROM signing_keys WHERE username = 'chen'")) == 3
    report = store.verify_report()
    assert report.ok and report.signed == 2, report.problems


def test_an_existing_store_is_upgraded_and_its_unsigned_records_still_verify(store_url):
    """A store made before signing (revision 0003) with an account and a finished record."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, make_url
    url = make_url(store_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(t.__file__).with_name("migrations")))
    with engine.begin() as c:
        config.attributes["connection"] = c
        command.upgrade(config, "0003")  # the last revision before signing
        prev = GENESIS
        c.execute(insert(t.staff).values(username="admin", display_name="Ada", role="admin",
                                         password_hash=hash_password(PASSWORD), active=True, created_at=now()))
        # Before 0004 usernames could hold capitals; such an account keeps signing in as it is spelt.
        c.execute(insert(t.staff).values(username="Dr.Lee", display_name="Dr. Lee", role="clinician",
                                         password_hash=hash_password(PASSWORD), active=True, created_at=now()))
        for i, (action, detail) in enumerate([("staff_created", {"username": "admin", "role": "admin"}),
                                              ("staff_created", {"username": "Dr.Lee", "role": "clinician"})], 1):
            entry = {"seq": i, "at": now(), "actor": "admin", "action": action, "screening_id": None,
                     "detail": _canonical(detail)}
            digest = chain_hash(prev, entry)
            c.execute(insert(t.audit).values(prev_hash=prev, hash=digest, **entry))
            prev = digest
        c.execute(t.audit_head.update().values(seq=2, hash=prev))
    engine.dispose()
    store = Store.open(url=store_url)
    try:
        assert store.schema_revision() == t.SCHEMA_HEAD  # 0004 signing, then 0005 after treatment
        actions = [e["action"] for e in reversed(store.audit_entries(store.authenticate("admin", PASSWORD)))]
        assert actions[2:6] == ["staff_baseline", "staff_baseline", "store_upgraded", "signed_in"]
        assert "signing_key_registered" in actions  # its first key, at its first sign-in
        assert store.authenticate("Dr.Lee", PASSWORD).username == "Dr.Lee"
        report = store.verify_report()
        assert report.ok, report.problems
    finally:
        store.close()


# --- 5. sign-in protection -----------------------------------------------------------------

def test_wrong_passwords_slow_down_then_lock_and_an_admin_unlocks(store, people):
    waits = []
    store.signin_guard.sleep = waits.append
    for _ in range(5):
        assert store.authenticate("chen", "wrong password!") is None
    assert waits == [0.5, 1.0]
    with pytest.raises(StoreError) as caught:
        store.authenticate("chen", PASSWORD)
    assert caught.value.kind == "locked" and "An admin can unlock it" in str(caught.value)
    assert store.locked_signins(people["admin"]) == ["chen"]
    store.unlock_signin(people["admin"], "chen")
    assert store.authenticate("chen", PASSWORD) is not None
    actions = [e["action"] for e in store.audit_entries(people["admin"], limit=10)]
    assert {"sign_in_failed", "sign_in_locked", "sign_in_unlocked", "signed_in"} <= set(actions)


def test_unknown_names_get_the_same_answer_and_the_same_time(store, people):
    import time
    store.signin_guard.sleep = lambda s: None

    def timed(name):
        best = 9.0
        for _ in range(3):
            start = time.perf_counter()
            assert store.authenticate(name, "wrong password!") is None
            best = min(best, time.perf_counter() - start)
        return best
    known, unknown = timed("admin"), timed("nobody-here")
    assert 0.5 < unknown / known < 2.0, (known, unknown)
    for _ in range(2):
        store.authenticate("nobody-here", "wrong password!")
    with pytest.raises(StoreError, match="locked"):
        store.authenticate("nobody-here", "wrong password!")


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "1234567890", "qwertyuiop", "Password123!", "dee desk 2024"])
def test_common_and_trivial_passwords_are_refused(store, people, password):
    with pytest.raises(StoreError, match="password: too easy to guess"):
        store.add_staff(people["admin"], "okafor", "Dee Desk", "clinician", password)


def test_usernames_are_normalised_and_look_alikes_refused(store, people):
    made = store.add_staff(people["admin"], "Mensah", "Dr. Ama Mensah", "clinician", PASSWORD)
    assert made.username == "mensah"
    assert store.authenticate("MENSAH", PASSWORD).username == "mensah"
    for twin in ("ADMIN", "ａｄｍｉｎ"):  # case and full-width forms are the same account
        with pytest.raises(StoreError, match="is taken"):
            store.add_staff(people["admin"], twin, "Twin", "admin", PASSWORD)
    with pytest.raises(StoreError, match="one script only"):
        store.add_staff(people["admin"], "аdmin", "Cyrillic a", "admin", PASSWORD)
    with pytest.raises(StoreError, match="mistaken for a name in Latin letters"):
        store.add_staff(people["admin"], "асе", "All Cyrillic", "admin", PASSWORD)


# --- 6. honest faults ----------------------------------------------------------------------

def test_a_zero_byte_store_file_is_refused_not_a_new_install(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "screenings.sqlite3").write_bytes(b"")
    with pytest.raises(StoreError) as caught:
        Store.open(folder)
    assert caught.value.kind == "damaged" and "empty (0 bytes)" in str(caught.value)
    assert (folder / "screenings.sqlite3").stat().st_size == 0


def test_a_deleted_store_where_one_existed_is_refused(tmp_path):
    folder = tmp_path / "data"
    s = Store.open(folder)
    s.create_first_admin("admin", "Ada Admin", PASSWORD)
    s.close()
    for f in folder.glob("screenings.sqlite3*"):
        f.unlink()
    with pytest.raises(StoreError, match="is empty, but this workstation saw"):
        Store.open(folder)


def damage(db: Path, at: int, length: int = 4096):
    with open(db, "r+b") as fh:
        fh.seek(at)
        fh.write(b"\xde\xad" * (length // 2))


def test_a_damaged_file_is_explained_in_staff_words(tmp_path):
    folder = tmp_path / "data"
    s = Store.open(folder)
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    for _ in range(30):
        s.new_draft(desk, {"name": "Zoë Secretname"})
    s.close()
    db = folder / "screenings.sqlite3"
    damage(db, 0, 100)  # the header
    with pytest.raises(StoreError) as caught:
        Store.open(folder)
    assert caught.value.kind == "damaged" and "restore the latest backup" in str(caught.value)
    assert "Secretname" not in str(caught.value)


def test_a_damaged_page_met_while_working_is_a_message_not_a_traceback(tmp_path):
    folder = tmp_path / "data"
    s = Store.open(folder)
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    for i in range(200):
        s.new_draft(desk, {"name": f"Zoë Secretname {i}", "notes": "x" * 500})
    s.close()
    db = folder / "screenings.sqlite3"
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    # The page that holds a draft's own row, so the work below must meet it (a page picked by
    # position could be an index that no query reads).
    page = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    damage(db, db.read_bytes().index("Zoë Secretname 100\"".encode()) // page * page, page)
    s = Store.open(folder)
    with pytest.raises(StoreError) as caught:
        s.search(name="Secretname")
        s.queue()
        [s.draft(r["id"]) for r in s.search(limit=1000)]
    assert caught.value.kind == "damaged" and "Secretname" not in str(caught.value)
    s.close()


def test_sql_parameters_never_reach_messages(store, people):
    with pytest.raises(Exception) as caught:
        with store.engine.connect() as c:
            c.execute(insert(t.audit).values(seq=999, at="x", actor="x", action="x", detail="Zoë Secretname",
                                             prev_hash="x", hash="x"))
    assert "Secretname" not in str(caught.value)


def test_a_double_finish_is_a_conflict_message(store, people):
    d = Draft(name="Zoë Ångström", date_of_birth="1980-04-02", route="topical", answers=all_answers(),
              product=dict(GOOD_PRODUCT))
    row = store.new_draft(people["desk"], d.to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    claimed = store.claim(people["doc"], row.id)
    # The other workstation's finish got in first (its finished row is there, its update not yet seen).
    sql(store, "INSERT INTO finished (screening_id, finished_at, finished_by, screening_json, result_json, "
               "sheet_kind, questionnaire_version, rules_version, sheet_version, pdf, pdf_sha256) VALUES "
               "(:s, 'x', :by, '{}', '{}', 'consent', 'q', 'r', 's', :pdf, 'x')",
        s=row.id, by=people["doc"].id, pdf=b"x")
    with pytest.raises(StoreError) as caught:
        store.finish(people["doc"], row.id, version=claimed.row_version, screening_file=d.to_screening_file(),
                     sheet_version="1.0.0")
    assert caught.value.kind == "conflict"


# --- the doors: `screen` and the record commands -------------------------------------------

def run(*args, password=None, home=None):
    env = dict(os.environ)
    env.pop("SCREENING_APP_PASSWORD", None)
    if password is not None:
        env["SCREENING_APP_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "screening_app", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_screen_works_with_a_damaged_store(private_home, write_screening):
    folder = private_home / "data"
    s = Store.open(folder)
    s.create_first_admin("admin", "Ada Admin", PASSWORD)
    s.close()
    damage(folder / "screenings.sqlite3", 0, 100)
    proc = run("screen", str(write_screening(screening_file())), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outcome"] and "records could not be read (damaged)" in proc.stderr
    assert "Traceback" not in proc.stderr and "Ångström" not in proc.stderr
    (folder / "screenings.sqlite3").write_bytes(b"")
    assert run("screen", str(write_screening(screening_file())), "--json").returncode == 0


def test_record_commands_run_as_a_signed_in_person_and_are_audited(private_home):
    s = Store.open(private_home / "data")
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    s.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    s.close()
    for args, password in ((("export", "--csv"), PASSWORD), (("export", "--csv", "--user", "chen"), None),
                           (("export", "--csv", "--user", "chen"), "wrong password!"),
                           (("export", "--csv", "--user", "desk"), PASSWORD),
                           (("audit", "verify", "--user", "chen"), PASSWORD),
                           (("store", "copy", "--user", "chen", "--from",
                             f"sqlite:///{private_home / 'data' / 'screenings.sqlite3'}", "--to",
                             f"sqlite:///{private_home / 'copy.sqlite3'}"), PASSWORD)):
        proc = run(*args, password=password)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "--user: Dee Desk may not export records" in run("export", "--csv", "--user", "desk",
                                                           password=PASSWORD).stderr
    ok = run("export", "--csv", "--user", "chen", password=PASSWORD)
    assert ok.returncode == 0 and ok.stdout.startswith("id,status")
    ok = run("audit", "verify", "--user", "admin", password=PASSWORD)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ok = run("store", "copy", "--user", "admin", "--from", f"sqlite:///{private_home / 'data' / 'screenings.sqlite3'}",
             "--to", f"sqlite:///{private_home / 'copy' / 'screenings.sqlite3'}", password=PASSWORD)
    assert ok.returncode == 0, ok.stderr
    s = Store.open(private_home / "data")
    entries = s.audit_entries(s.authenticate("admin", PASSWORD), limit=100)
    s.close()
    done = [(e["actor"], e["action"], json.loads(e["detail"]).get("via")) for e in entries]
    assert ("chen", "exported", "command") in done
    assert ("admin", "audit_verified", "command") in done
    assert ("admin", "store_copied", "command") in done
    assert ("desk", "command_refused", None) in done
    assert sum(1 for e in entries if e["action"] == "sign_in_failed") >= 1


def test_audit_verify_checks_a_fingerprint_from_paper(private_home):
    s = Store.open(private_home / "data")
    s.create_first_admin("admin", "Ada Admin", PASSWORD)
    mark = s.head_fingerprint()
    s.close()
    assert run("audit", "verify", "--user", "admin", "--fingerprint", mark, password=PASSWORD).returncode == 0
    bad = run("audit", "verify", "--user", "admin", "--fingerprint", "1-00000000", password=PASSWORD)
    assert bad.returncode == 1 and "history was rewritten" in bad.stdout


def test_the_app_explains_a_damaged_store_at_start(qapp, private_home, monkeypatch):
    from screening_app.ui import main_window
    folder = private_home / "data"
    folder.mkdir(parents=True)
    (folder / "screenings.sqlite3").write_bytes(b"")
    shown = []
    monkeypatch.setattr(main_window.QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    assert main_window.run_gui([]) == 1
    title, text = shown[0]
    assert title == "The records file is damaged"
    assert "Restore the latest backup" in text and "Restoring a backup" in text
    assert (folder / "screenings.sqlite3").stat().st_size == 0  # nothing created over it


def test_the_lock_closes_the_signing_key_and_the_password_reopens_it(qapp, store, people):
    from screening_app.ui.main_window import LockDialog
    assert people["doc"].id in store._keys
    dialog = LockDialog(store, people["doc"])
    assert people["doc"].id not in store._keys
    dialog.password.setText(PASSWORD)
    dialog.submit()
    assert people["doc"].id in store._keys


def test_an_unexpected_gui_fault_never_prints_patient_data(capsys, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from screening_app.ui.main_window import _quiet_excepthook
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))  # the handler's message
    try:
        raise ValueError("Zoë Secretname answered yes to active_malignancy")
    except ValueError as exc:
        _quiet_excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "internal error: ValueError at test_trust.py:" in err and "Secretname" not in err
    assert all("Secretname" not in text for text in shown)


def test_account_changes_name_an_existing_account(store, people):
    with pytest.raises(StoreError, match="no account"):
        store.set_staff_active(people["admin"], "nobody", False)


def test_a_promotion_with_a_forged_chained_entry_is_detected(store, people):
    """No trigger dropped: the attacker writes the 'staff_role_changed' entry the trigger asks
    for, correctly chained, then promotes the front desk. Only the admin's key could sign it."""
    append_entry(store, "admin", "staff_role_changed", None, {"username": "desk", "role": "clinician"})
    sql(store, "UPDATE staff SET role = 'clinician' WHERE username = 'desk'")
    ok, message = store.verify_audit()
    assert not ok and "staff_role_changed of 'desk' by 'admin'" in message and "not signed" in message


def test_a_password_replaced_with_a_forged_chained_entry_is_detected(store, people):
    from screening_app.records.passwords import password_fingerprint
    hashed = hash_password("mallory knows this one")
    append_entry(store, "admin", "password_set", None, {"username": "admin", "password": password_fingerprint(hashed)})
    sql(store, "UPDATE staff SET password_hash = :h WHERE username = 'admin'", h=hashed)
    ok, message = store.verify_audit()
    assert not ok and "password_set of 'admin'" in message and "not signed" in message


def test_account_changes_by_a_non_admin_key_are_detected(store, people):
    """Even signed with a real key: the front desk's own key cannot make account changes."""
    key = store._keys[people["desk"].id]
    detail = signing.signed_detail(key, "staff_role_changed", "desk", {"username": "desk", "role": "admin"})
    append_entry(store, "desk", "staff_role_changed", None, detail)
    sql(store, "UPDATE staff SET role = 'admin' WHERE username = 'desk'")
    ok, message = store.verify_audit()
    assert not ok and "'desk' could not change accounts then" in message
