"""A worker process for tests/test_store_processes.py: front desk or clinician on a shared store."""
import json
import sys
import time

from screening_app.casework import Draft
from screening_app.records import StoreError
from screening_app.records.store import Store

url, role, username, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ANSWERS = {q: "no" for q in ["active_malignancy", "cancer_history", "systemic_inflammation", "blood_donation",
                             "current_infection", "skin_problem_at_site", "immune_suppression", "biologic_reaction",
                             "known_allergy", "pregnant_or_breastfeeding", "bleeding_risk"]}
# A lot that passes every check: without one the store records no consent.
PRODUCT = {"lot": "EV-1", "coa_lot_matches": True, "markers": ["CD9", "CD63", "CD81"], "sterility_tested": True,
           "endotoxin_tested": True, "mycoplasma_tested": True, "donor_screened": True, "gmp_facility": True,
           "ind_number": "IND 12345", "storage_c": -80, "freeze_thaw_cycles": 0, "expiry": "2099-01-01"}
store = Store.open(url=url)
me = store.authenticate(username, "correct horse battery")
done = []
if role == "desk":
    for i in range(count):
        draft = Draft(name=f"{username} patient {i}", date_of_birth="1980-01-01", route="topical",
                      answers=dict(ANSWERS), product=dict(PRODUCT))
        row = store.new_draft(me, draft.to_json())
        version = row.row_version
        for edit in range(3):  # typing, saved as it goes
            draft.area = f"v{edit}"
            version = store.save_draft(me, row.id, draft.to_json(), step=edit, version=version)
        store.hand_over(me, row.id, version)
        done.append(row.id)
else:
    # count is the total the front desks hand over; stop once every one is signed by someone.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        queue = store.queue()
        if not queue and len(store.search(include_unfinished=False, limit=100000)) == count:
            break
        for item in queue:
            if item.status != "handed_over":
                continue
            try:
                claimed = store.claim(me, item.id)
                draft = Draft.from_json(claimed.draft)
                store.finish(me, item.id, version=claimed.row_version, screening_file=draft.to_screening_file(),
                             sheet_version="1.0.0")
                done.append(item.id)
            except StoreError:
                pass  # the other clinician was quicker: that is the point
        time.sleep(0.01)
print(json.dumps(done))
