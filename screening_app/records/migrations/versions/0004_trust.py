"""Records that can be trusted: signing keys, signatures, sign-in counters, and triggers that
protect the audit head, the staff table, keys and signatures (see records/protection.py).

On a store that already holds entries, each existing account's state is written to the trail
("staff_baseline"), so `audit verify` can replay every later change from it, and a
"store_upgraded" entry marks where signed records begin.

Revision ID: 0004
"""
from alembic import op
from sqlalchemy import func, insert, select, update

from screening_app.records import protection, schema

revision = "0004"
down_revision = "0003"


def upgrade():
    bind = op.get_bind()
    for table in (schema.signing_keys, schema.signatures, schema.signin_state):
        table.create(bind, checkfirst=True)
    for statement in protection.statements(bind.dialect.name):
        op.execute(statement)
    if bind.execute(select(func.count()).select_from(schema.audit)).scalar():
        _baseline(bind)


def _baseline(bind):
    from screening_app.records.passwords import password_fingerprint
    from screening_app.records.store import _canonical, chain_hash, now

    head = bind.execute(select(schema.audit_head.c.seq, schema.audit_head.c.hash)).one()
    seq, prev = head.seq, head.hash
    entries = [("staff_baseline", {"username": r.username, "role": r.role, "active": bool(r.active),
                                   "password": password_fingerprint(r.password_hash)})
               for r in bind.execute(select(schema.staff).order_by(schema.staff.c.id))]
    entries.append(("store_upgraded", {"revision": revision}))
    for action, detail in entries:
        seq += 1
        entry = {"seq": seq, "at": now(), "actor": "system", "action": action, "screening_id": None,
                 "detail": _canonical(detail)}
        digest = chain_hash(prev, entry)
        bind.execute(insert(schema.audit).values(prev_hash=prev, hash=digest, **entry))
        prev = digest
    bind.execute(update(schema.audit_head).where(schema.audit_head.c.id == 1).values(seq=seq, hash=prev))


def downgrade():
    raise NotImplementedError("records are never dropped")
