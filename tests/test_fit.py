"""Ensure every wizard page and the main window fit the screen: at 150% scale on a 1366x768
screen and at 800x600, the window opens inside the screen, pages scroll down (never sideways),
and no button is cut off. Needs a real X server (Xvfb), as a person's screen would be."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (scripts/dev installs it)")
@pytest.mark.parametrize("screen, scale", [("1366x768", "1.5"), ("800x600", "1"), ("1920x1080", "1")])
def test_every_page_fits_the_screen(screen, scale, private_home):
    env = {**os.environ, "QT_SCALE_FACTOR": scale, "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run(["xvfb-run", "-a", "-s", f"-screen 0 {screen}x24", sys.executable,
                           str(ROOT / "tests" / "fit_worker.py")], capture_output=True, text=True, env=env,
                          timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["ratio"] == float(scale)
    assert report["problems"] == []
