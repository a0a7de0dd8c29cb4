"""Triggers of revision 0004: what the database itself refuses, whoever writes to it.

- The audit trail grows only at its end, each entry linked to the one before it, and the
  head row only follows it (never backwards, never to a hash the trail does not hold).
- A staff account is created only beside its "staff_created" audit entry, and its role,
  active flag or password change only when the entry just written (the trail's head) says
  so, for that account: a promotion or a replaced password hash always leaves its trace,
  and `audit verify` replays the trail against the table. Accounts are never deleted.
- Signing keys and signatures are never changed or deleted; a key is stored only beside
  its "signing_key_registered" entry.

On SQLite anyone who can write the file can drop these; `audit verify` (integrity.py) then
catches what was changed. On PostgreSQL the workstations' login does not own the tables and
cannot drop or disable them (scripts/postgres-roles.sql).
"""
from __future__ import annotations

GENESIS = "0" * 64
NEVER_CHANGED = ("signing_keys", "signatures")


def statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return _postgresql()
    if dialect == "sqlite":
        return _sqlite()
    raise NotImplementedError(f"no store for {dialect} databases")


def _sqlite() -> list[str]:
    head_entry = "(SELECT {col} FROM audit a JOIN audit_head h ON h.seq = a.seq WHERE h.id = 1)"
    action, who = head_entry.format(col="a.action"), head_entry.format(col="json_extract(a.detail, '$.username')")
    role = head_entry.format(col="json_extract(a.detail, '$.role')")
    refuse = "BEGIN SELECT RAISE(ABORT, '{}'); END"
    out = [
        "CREATE TRIGGER audit_append_only BEFORE INSERT ON audit WHEN "
        "NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit) OR "
        f"NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit ORDER BY seq DESC LIMIT 1), '{GENESIS}') "
        + refuse.format("audit entries are only appended, each linked to the last"),
        "CREATE TRIGGER audit_head_follows BEFORE UPDATE ON audit_head WHEN "
        "NEW.id IS NOT OLD.id OR NEW.seq < OLD.seq OR "
        "NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) FROM audit) OR "
        f"NEW.hash IS NOT COALESCE((SELECT hash FROM audit WHERE seq = NEW.seq), '{GENESIS}') "
        + refuse.format("the audit head only follows the audit trail"),
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        + refuse.format("the audit head is never removed"),
        "CREATE TRIGGER audit_head_one_row BEFORE INSERT ON audit_head WHEN "
        "(SELECT COUNT(*) FROM audit_head) > 0 " + refuse.format("there is one audit head"),
        "CREATE TRIGGER staff_insert_audited BEFORE INSERT ON staff WHEN NOT EXISTS ("
        "SELECT 1 FROM audit WHERE action IN ('staff_created', 'staff_baseline') "
        "AND json_extract(detail, '$.username') = NEW.username) "
        + refuse.format("staff accounts are created only with an audit entry"),
        "CREATE TRIGGER staff_update_audited BEFORE UPDATE ON staff WHEN "
        "NEW.id IS NOT OLD.id OR NEW.username IS NOT OLD.username OR "
        f"(NEW.role IS NOT OLD.role AND NOT ({action} = 'staff_role_changed' AND {who} = NEW.username "
        f"AND {role} = NEW.role)) OR "
        f"(NEW.active IS NOT OLD.active AND NOT ({action} = CASE WHEN NEW.active THEN 'staff_enabled' "
        f"ELSE 'staff_disabled' END AND {who} = NEW.username)) OR "
        f"(NEW.password_hash IS NOT OLD.password_hash AND NOT ({action} = 'password_set' AND {who} = NEW.username)) "
        + refuse.format("staff accounts change only with an audit entry"),
        "CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff " + refuse.format("staff accounts are never deleted"),
        "CREATE TRIGGER signing_keys_registered BEFORE INSERT ON signing_keys WHEN NOT EXISTS ("
        "SELECT 1 FROM audit WHERE action = 'signing_key_registered' "
        "AND json_extract(detail, '$.fingerprint') = NEW.fingerprint) "
        + refuse.format("signing keys are stored only with an audit entry"),
    ]
    for table in NEVER_CHANGED:
        for op in ("UPDATE", "DELETE"):
            out.append(f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                       + refuse.format(f"{table} entries are never rewritten"))
    return out


def _postgresql() -> list[str]:
    out = [
        "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE last_seq integer; last_hash text; BEGIN "
        "SELECT seq, hash INTO last_seq, last_hash FROM audit ORDER BY seq DESC LIMIT 1; "
        f"IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1 OR NEW.prev_hash IS DISTINCT FROM "
        f"COALESCE(last_hash, '{GENESIS}') THEN "
        "RAISE EXCEPTION 'audit entries are only appended, each linked to the last'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER audit_append_only BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        "CREATE FUNCTION audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION 'there is one audit head, never removed'; END IF; "
        "IF NEW.id IS DISTINCT FROM OLD.id OR NEW.seq < OLD.seq "
        "OR NEW.seq IS DISTINCT FROM (SELECT COALESCE(MAX(seq), 0) FROM audit) "
        f"OR NEW.hash IS DISTINCT FROM COALESCE((SELECT hash FROM audit WHERE seq = NEW.seq), '{GENESIS}') THEN "
        "RAISE EXCEPTION 'the audit head only follows the audit trail'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER audit_head_follows BEFORE UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_follows()",
        "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()",
        # One head row: inserting a second is refused (the store never inserts after 0001).
        "CREATE TRIGGER audit_head_one_row BEFORE INSERT ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()",
        "CREATE FUNCTION staff_audited() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE act text; who text; new_role text; BEGIN "
        "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'staff accounts are never deleted'; END IF; "
        "IF TG_OP = 'INSERT' THEN "
        "  IF NOT EXISTS (SELECT 1 FROM audit WHERE action IN ('staff_created', 'staff_baseline') "
        "    AND (detail::json ->> 'username') = NEW.username) THEN "
        "    RAISE EXCEPTION 'staff accounts are created only with an audit entry'; END IF; "
        "  RETURN NEW; END IF; "
        "SELECT a.action, a.detail::json ->> 'username', a.detail::json ->> 'role' INTO act, who, new_role "
        "FROM audit a JOIN audit_head h ON h.seq = a.seq WHERE h.id = 1; "
        "IF NEW.id IS DISTINCT FROM OLD.id OR NEW.username IS DISTINCT FROM OLD.username "
        "OR (NEW.role IS DISTINCT FROM OLD.role AND NOT (act = 'staff_role_changed' AND who = NEW.username "
        "    AND new_role = NEW.role)) "
        "OR (NEW.active IS DISTINCT FROM OLD.active AND NOT (act = CASE WHEN NEW.active THEN 'staff_enabled' "
        "    ELSE 'staff_disabled' END AND who = NEW.username)) "
        "OR (NEW.password_hash IS DISTINCT FROM OLD.password_hash AND NOT (act = 'password_set' "
        "    AND who = NEW.username)) THEN "
        "  RAISE EXCEPTION 'staff accounts change only with an audit entry'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER staff_audited BEFORE INSERT OR UPDATE OR DELETE ON staff "
        "FOR EACH ROW EXECUTE FUNCTION staff_audited()",
        "CREATE TRIGGER staff_no_truncate BEFORE TRUNCATE ON staff FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_rewrite()",
        "CREATE FUNCTION signing_key_registered() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM audit WHERE action = 'signing_key_registered' "
        "  AND (detail::json ->> 'fingerprint') = NEW.fingerprint) THEN "
        "  RAISE EXCEPTION 'signing keys are stored only with an audit entry'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER signing_keys_registered BEFORE INSERT ON signing_keys "
        "FOR EACH ROW EXECUTE FUNCTION signing_key_registered()",
    ]
    for table in NEVER_CHANGED:
        out.append(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
        out.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")
    return out
