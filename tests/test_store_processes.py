"""Ensure several processes working one store lose no update and never claim one screening twice."""
import json
import subprocess
import sys
from pathlib import Path

from screening_app.records.store import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def test_front_desks_and_clinicians_in_parallel_lose_nothing(tmp_path):
    folder = tmp_path / "shared"
    store = Store.open(folder)
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    for name, role in (("desk1", "front_desk"), ("desk2", "front_desk"), ("doc1", "clinician"), ("doc2", "clinician")):
        store.add_staff(admin, name, name.title(), role, PASSWORD)
    per_desk = 15
    workers = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "store_worker.py"), str(folder), role, name,
                                 str(n)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
               for role, name, n in (("desk", "desk1", per_desk), ("desk", "desk2", per_desk),
                                     ("clinician", "doc1", 2 * per_desk), ("clinician", "doc2", 2 * per_desk))]
    outputs = []
    for w in workers[:2]:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        outputs.append(json.loads(out))
    # Clinicians stop once everything handed over is claimed by one of them.
    claimed = []
    for w in workers[2:]:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        claimed.append(json.loads(out))
    created = outputs[0] + outputs[1]
    assert len(created) == len(set(created)) == 2 * per_desk
    # No screening is claimed twice, and none is lost.
    all_claims = claimed[0] + claimed[1]
    assert len(all_claims) == len(set(all_claims)) == 2 * per_desk
    assert set(all_claims) == set(created)
    rows = {r["id"]: r for r in store.search(limit=1000)}
    assert set(created) <= set(rows)
    for sid in created:
        assert store.draft(sid).draft["name"].endswith("v2")  # every last save arrived
        assert store.draft(sid).status in ("handed_over", "in_review")
    ok, message = store.verify_audit()
    assert ok, message
    store.close()
