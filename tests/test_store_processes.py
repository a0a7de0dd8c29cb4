"""Ensure several processes working one store lose no update and never sign one screening twice."""
import json
import subprocess
import sys
from pathlib import Path

from screening_app.records.store import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def test_front_desks_and_clinicians_in_parallel_lose_nothing(store_url):
    store = Store.open(url=store_url)
    per_desk = 70 if store.dialect == "postgresql" else 25  # hundreds on the server, bounded in time
    desks, doctors = ["desk1", "desk2", "desk3"], ["doc1", "doc2"]
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    for name in desks:
        store.add_staff(admin, name, name.title(), "front_desk", PASSWORD)
    for name in doctors:
        store.add_staff(admin, name, name.title(), "clinician", PASSWORD)
    total = per_desk * len(desks)
    jobs = [("desk", name, per_desk) for name in desks] + [("clinician", name, total) for name in doctors]
    workers = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "store_worker.py"), store_url, role, name,
                                 str(n)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
               for role, name, n in jobs]
    results = []
    for w in workers:
        out, err = w.communicate(timeout=360)
        assert w.returncode == 0, err[-3000:]
        results.append(json.loads(out))
    created = [sid for r in results[:len(desks)] for sid in r]
    signed = [sid for r in results[len(desks):] for sid in r]
    assert len(created) == len(set(created)) == total
    # Every screening signed exactly once, by one of the clinicians, and none lost.
    assert len(signed) == len(set(signed)) == total
    assert set(signed) == set(created)
    for sid in created:
        record = store.record(sid)
        assert record.screening_file["treatment"]["area"] == "v2"  # every last save arrived
        assert record.pdf.startswith(b"%PDF-") and record.finished_by in ("Doc1", "Doc2")
        assert record.sheet_kind == "consent"
    ok, message = store.verify_audit()
    assert ok, message
    store.close()
