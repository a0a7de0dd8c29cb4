"""Copying a whole store into a new, empty one (`store copy`): SQLite to a server, or back."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update

from ..wording import say
from . import StoreError
from . import schema as t

if TYPE_CHECKING:
    from .store import Store

# The trail first: the staff and key tables' triggers ask for each row's audit entry.
COPY_ORDER = ("audit", "staff", "signing_keys", "screenings", "name_tokens", "finished", "signatures", "paper",
              "settings", "recalls", "administrations", "follow_ups", "contacts", "adverse_events")


def copy_store(source: Store, target: Store, batch: int = 2000) -> dict[str, int]:
    """Moves every record, PDF and audit entry to an empty store, then checks the copy.

    Rows are copied as they are (ids, hashes and times included), so the audit chain of
    the target verifies exactly as the source's did."""
    with target.db.read() as c:
        if c.execute(select(func.count()).select_from(t.staff)).scalar() or \
                c.execute(select(t.audit_head.c.seq)).scalar():
            raise StoreError("refused", say("records.copying.location_not_empty_copy_only", location=target.location))
    ok, message = source.verify_audit()
    if not ok:
        raise StoreError("refused", say("records.copying.from_audit_trail_does_not", message=message))
    counts = {}
    with source.db.read() as src, target.db.write() as dst:
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
        with source.db.read() as a, target.db.read() as b:
            table = t.metadata.tables[name]
            left = a.execute(select(func.count()).select_from(table)).scalar()
            right = b.execute(select(func.count()).select_from(table)).scalar()
        if left != right or right != counts[name]:
            raise StoreError("refused", f"copy check: {name} has {left} rows in --from but {right} in --to")
    ok, message = target.verify_audit()
    if not ok:
        raise StoreError("refused", say("records.copying.copy_check_copied_audit_trail", message=message))
    return counts
