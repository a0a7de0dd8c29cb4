"""A worker process for tests/test_store_processes.py: front desk or clinician on a shared store."""
import json
import sys
import time

from screening_app.records.store import Store, StoreError
from screening_app.workflow import Draft

folder, role, username, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = Store.open(folder)
me = store.authenticate(username, "correct horse battery")
done = []
if role == "desk":
    for i in range(count):
        row = store.new_draft(me, Draft(name=f"{username} patient {i}").to_json())
        version = row.row_version
        for edit in range(3):  # typing, saved as it goes
            version = store.save_draft(me, row.id, Draft(name=f"{username} patient {i} v{edit}").to_json(),
                                       step=edit, version=version)
        store.hand_over(me, row.id, version)
        done.append(row.id)
else:
    # count is the total the front desks hand over; stop once every one is claimed by someone.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        queue = store.queue()
        if len(queue) == count and all(item.status == "in_review" for item in queue):
            break
        for item in queue:
            if item.status != "handed_over":
                continue
            try:
                store.claim(me, item.id)
                done.append(item.id)
            except StoreError:
                pass  # the other clinician was quicker: that is the point
        time.sleep(0.01)
print(json.dumps(done))
