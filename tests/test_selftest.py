"""Ensure `screening-app --self-test` passes on a working install and names what is broken."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def self_test(**env):
    return subprocess.run([sys.executable, "-m", "screening_app", "--self-test"], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, QT_QPA_PLATFORM="offscreen", **env), timeout=120)


def test_self_test_passes():
    proc = self_test()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from screening_app.selftest import CHECKS
    assert proc.stdout.count("ok    ") == len(CHECKS) == 6 and proc.stdout.strip().endswith("self-test passed")
    assert "ok    languages: packs es, zh-Hans" in proc.stdout


def test_self_test_names_what_failed(tmp_path):
    proc = self_test(SCREENING_APP_RESOURCES=str(tmp_path))  # no questionnaire, rules or fonts
    assert proc.returncode == 1
    assert "FAIL  clinical content: ContentError" in proc.stdout
    assert "FAIL  patient sheet" in proc.stdout
    assert "self-test FAILED" in proc.stdout
