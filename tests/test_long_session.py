"""Ensure a long day at the front desk cannot crash the interpreter.

PySide6 6.12 drops a reference to None on every void Qt call. On Python 3.11 None's count
runs out after some hundred thousand calls and the app dies with "deallocating None"; on
3.12+ None is immortal (PEP 683). This runs a day's worth of calls in a fresh process.
"""
import os
import subprocess
import sys

CODE = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for _ in range(1_000_000):
    label.setText("x")
    label.setVisible(False)
print("ok")
"""


def test_a_million_void_qt_calls_do_not_kill_the_interpreter():
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.strip() == "ok"
