"""Ensure what staff typed survives the app being killed at any moment (SIGKILL, no clean-up)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from screening_app.records.store import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


@pytest.mark.parametrize("kill_after_saves", [1, 4, 9])
def test_draft_survives_sigkill_mid_typing(private_home, kill_after_saves):
    store = Store.open()
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    store.close()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "typing_worker.py")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ))
    confirmed = None
    saves = 0
    deadline = time.monotonic() + 60
    while saves < kill_after_saves and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("SAVED "):
            confirmed = line.split(" ", 1)[1].strip()
            saves += 1
    time.sleep(0.13)  # somewhere in the middle of the next keystrokes and saves
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert confirmed is not None, proc.stderr.read()[-2000:]

    store = Store.open()
    (draft,) = store.open_drafts(desk)
    # Everything confirmed saved is there; what was typed after it may be too, but nothing less.
    assert draft.draft["name"].startswith(confirmed)
    if len(confirmed) >= 5:
        assert draft.draft["date_of_birth"] == "1980-04-02"
    ok, message = store.verify_audit()
    assert ok, message
    store.close()
