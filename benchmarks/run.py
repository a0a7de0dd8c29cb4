"""Side-by-side benchmark: the app against what the toolkit itself allows, in one run.

    .venv/bin/python benchmarks/run.py [--runs 10] [--sizes 1000 10000 100000]

- start-up: process start to the wizard's first page painted, against a bare PySide6 QWizard
  of five pages started the same way (a fresh `python` process each, offscreen, interleaved);
- the real first window: process start to the sign-in dialog painted, the app started as a
  person starts it (logging, the one-copy lock, the questionnaire, the records opened), against
  a bare QDialog started the same way;
- per keystroke in the wizard's lot number field (QTest.keyClick into the real wizard of a
  signed-in clinician, with its store and autosave), median and 95th percentile, against a bare
  QLineEdit typed the same keys in the same process;
- peak memory of those same processes (the kernel's maximum resident set size);
- the patient sheet, against a bare reportlab document of the same number of pages;
- store insert and search at each size (benchmarks/search.py);
- the bundle's size on disk, when scripts/build-linux has built it.
Every figure is a median, and a ratio against its baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Each child prints the monotonic clock (shared by all processes) when the first page is painted.
PAINTED = """
import time, sys
from PySide6.QtCore import QEvent, QObject
class _Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(time.monotonic(), flush=True)
            sys.exit(0)
        return False
"""

BARE = PAINTED + """
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWizard, QWizardPage
app = QApplication([])
app.setStyle("Fusion")
wizard = QWizard()
wizard.setWizardStyle(QWizard.WizardStyle.ModernStyle)
for i in range(5):
    page = QWizardPage()
    page.setTitle(f"Page {i + 1}")
    QVBoxLayout(page).addWidget(QLabel("A bare page."))
    wizard.addPage(page)
watch = _Painted()
wizard.page(0).installEventFilter(watch)
wizard.show()
app.exec()
"""

OURS = PAINTED + """
from screening_app.ui.application import make_application
from screening_app.ui.wizard import ScreeningWizard
app = make_application([])
wizard = ScreeningWizard()
watch = _Painted()
wizard.page(0).installEventFilter(watch)
wizard.show()
app.exec()
"""


def launch(code: str, env: dict | None = None) -> tuple[float, float]:
    """Seconds from process start to first paint, and peak memory in MiB."""
    env = dict(env or os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=ROOT, env=env)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    if proc.returncode != 0 or not out.strip():
        raise RuntimeError(f"the start-up probe failed (exit {proc.returncode})")
    return float(out.split()[0]) - started, usage.ru_maxrss / 1024


# The first window, painted: an app-wide filter, since the app makes its dialog itself. os._exit,
# because the app's own fault handler (installed by run_gui) would report a SystemExit.
FIRST_PAINTED = """
import os, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget
class _FirstPainted(QObject):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and isinstance(obj.window(), self.kind):
            print(time.monotonic(), flush=True)
            os._exit(0)
        return False
"""

BARE_DIALOG = FIRST_PAINTED + """
from PySide6.QtWidgets import QApplication, QDialog
app = QApplication([])
app.setStyle("Fusion")
watch = _FirstPainted(QDialog)
app.installEventFilter(watch)
dialog = QDialog()
dialog.setWindowTitle("Sign in")
dialog.show()
app.exec()
"""

OUR_SIGN_IN = FIRST_PAINTED + """
from screening_app.ui.application import make_application
from screening_app.ui.sign_in import SignInDialog
from screening_app.ui.workstation import run_gui
app = make_application([])
watch = _FirstPainted(SignInDialog)
app.installEventFilter(watch)
run_gui([])
"""

# Per keystroke: QTest.keyClick, then the events it posted (repaints, and the autosave when its
# throttle is due, as it would be for a person typing), timed key by key.
KEYSTROKES = """
import json, os, sys, time
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget
from screening_app.casework import Flow, Step
from screening_app.records.store import Store
from screening_app.screening import default_content
from screening_app.screening.product import PRODUCT_FIELDS
from screening_app.ui.application import make_application
from screening_app.ui.main_window import MainWindow
app = make_application([])
store = Store.open()
clinician = store.authenticate("chen", "correct horse battery")
window = MainWindow(store, clinician, Flow(), owns_store=False)
window.show()
wizard = window.new_screening()
d = wizard.draft
d.name, d.date_of_birth, d.route = "Zoë Ångström", "1980-04-02", "topical"
d.answers.update({q: "no" for q in default_content().question_ids})
wizard.draft_changed.emit()
for _ in range(4):
    wizard.next()
assert wizard.currentId() == Step.PRODUCT, wizard.currentId()
label = next(f.label for f in PRODUCT_FIELDS if f.key == "lot")
(ours,) = [e for e in wizard.currentPage().findChildren(QLineEdit) if e.accessibleName() == label]
holder = QWidget()
bare = QLineEdit(holder)
QVBoxLayout(holder).addWidget(bare)
holder.show()
keys = [getattr(Qt.Key, "Key_" + c) if c.isalnum() else Qt.Key.Key_Minus for c in "EV-2291"]
keys += [Qt.Key.Key_Backspace] * len(keys)

def type_word(edit, handlers=None):
    times = []
    for key in keys:
        t0 = time.perf_counter()
        QTest.keyClick(edit, key)
        t1 = time.perf_counter()
        app.processEvents()
        times.append(time.perf_counter() - t0)
        if handlers is not None:
            handlers.append(t1 - t0)
    return times

for edit in (bare, ours):  # warm up
    edit.setFocus()
    type_word(edit)
bare_times, our_times, our_handlers = [], [], []
evaluations = wizard.flow.evaluations
for _ in range(int(sys.argv[1])):  # interleaved, so drift hits both alike
    bare.setFocus()
    bare_times += type_word(bare)
    ours.setFocus()
    our_times += type_word(ours, our_handlers)
print(json.dumps({"bare": bare_times, "ours": our_times, "handlers": our_handlers,
                  "evaluations": wizard.flow.evaluations - evaluations}))
window.idle.stop()
os._exit(0)
"""


def first_window(runs: int, env: dict) -> dict:
    """The sign-in dialog as the app shows it at start, against a bare QDialog."""
    launch(BARE_DIALOG, env), launch(OUR_SIGN_IN, env)  # warm the file cache for both
    bare, ours = [], []
    for _ in range(runs):
        bare.append(launch(BARE_DIALOG, env)[0])
        ours.append(launch(OUR_SIGN_IN, env)[0])
    return {"bare_s": statistics.median(bare), "ours_s": statistics.median(ours)}


def keystrokes(words: int, env: dict) -> dict:
    """Per-key handling in the real wizard's lot field and in a bare QLineEdit, in one process."""
    env = dict(env, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-c", KEYSTROKES, str(words)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the keystroke probe failed: {proc.stderr[-1500:]}")
    times = json.loads(proc.stdout.strip().splitlines()[-1])

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20, method="inclusive")[-1]
    return {"keys": len(times["ours"]), "evaluations": times["evaluations"] / len(times["ours"]),
            **{f"{who}_{stat}": fn(times[who]) for who in ("bare", "ours", "handlers")
               for stat, fn in (("median", statistics.median), ("p95", p95))}}


def sample_home() -> tuple[dict, str]:
    """A throw-away data folder with the accounts the probes sign in as; returns their env."""
    import tempfile
    home = tempfile.mkdtemp(prefix="screening-bench-")
    env = dict(os.environ, SCREENING_APP_HOME=home)
    code = ("from screening_app.records.store import Store\n"
            "s = Store.open()\n"
            "admin = s.create_first_admin('admin', 'Ada Admin', 'correct horse battery')\n"
            "s.add_staff(admin, 'chen', 'Dr. Maya Chen', 'clinician', 'correct horse battery')\n"
            "s.close()\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
    return env, home


def startup(runs: int) -> dict:
    launch(BARE), launch(OURS)  # warm the file cache for both
    bare, ours = [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        bare.append(launch(BARE))
        ours.append(launch(OURS))
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    return {"bare_s": med(bare, 0), "ours_s": med(ours, 0), "bare_mib": med(bare, 1), "ours_mib": med(ours, 1)}


def sheet(runs: int) -> dict:
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from screening_app.screening import default_content, read_screening, screen
    from screening_app.sheets import Clinic, build_sheet
    answers = {q: "no" for q in default_content().question_ids}
    s = read_screening(json.dumps({"patient": {"name": "Zoë Ångström 李雷", "date_of_birth": "1980-04-02"},
                                   "treatment": {"route": "topical"}, "answers": answers}))
    result = screen(s)
    clinic = Clinic("Riverside Skin & Wellness", "12 Main St", "(217) 555-0147")
    ours_pdf = build_sheet(s, result, clinic=clinic)
    from pypdf import PdfReader
    pages = len(PdfReader(io.BytesIO(ours_pdf)).pages)

    style = getSampleStyleSheet()["BodyText"]
    text = "A plain paragraph of body text for a bare reportlab document, in a built-in font. " * 4

    from reportlab.lib.styles import ParagraphStyle

    from screening_app.sheets.fonts import BODY, register_fonts
    register_fonts()
    embedded = ParagraphStyle("embedded", parent=style, fontName=BODY)

    def bare_doc(paragraphs: int, paragraph_style=style) -> tuple[bytes, int]:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=letter)
        doc.build([Paragraph(text, paragraph_style) for _ in range(paragraphs)])
        return buffer.getvalue(), doc.page

    paragraphs = 10
    while bare_doc(paragraphs)[1] < pages:
        paragraphs += 5

    def median_s(fn) -> float:
        fn()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    return {"pages": pages, "bare_s": median_s(lambda: bare_doc(paragraphs)),
            "bare_ttf_s": median_s(lambda: bare_doc(paragraphs, embedded)),
            "ours_s": median_s(lambda: build_sheet(s, result, clinic=clinic))}


def bundle_size() -> str:
    folder = ROOT / "build" / "dist" / "screening-app"
    if not folder.exists():
        return "not built (run scripts/build-linux)"
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return f"{total / 1024 / 1024:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--words", type=int, default=15,
                        help="lot numbers typed and erased per field in the keystroke probe (14 keys each)")
    args = parser.parse_args()
    print(f"# benchmark, {date.today().isoformat()}, Python {platform.python_version()}, {platform.machine()} "
          f"{platform.system()}, {os.cpu_count()} cores")
    s = startup(args.runs)
    env, home = sample_home()
    try:
        f = first_window(args.runs, env)
        k = keystrokes(args.words, env)
    finally:
        import shutil
        shutil.rmtree(home, ignore_errors=True)
    d = sheet(max(args.runs, 10))
    print("| what | ours | baseline (same run) | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| start-up to the wizard's first page | {s['ours_s'] * 1000:.0f} ms | bare 5-page QWizard "
          f"{s['bare_s'] * 1000:.0f} ms | {s['ours_s'] / s['bare_s']:.2f}x | ≤ 1.3x |")
    print(f"| peak memory of that process | {s['ours_mib']:.0f} MiB | bare QWizard {s['bare_mib']:.0f} MiB | "
          f"{s['ours_mib'] / s['bare_mib']:.2f}x | ≤ 1.3x |")
    print(f"| the first window (sign-in, as the app starts) | {f['ours_s'] * 1000:.0f} ms | bare QDialog "
          f"{f['bare_s'] * 1000:.0f} ms | {f['ours_s'] / f['bare_s']:.2f}x | |")
    for stat, name in (("median", "median"), ("p95", "95th percentile")):
        print(f"| a key typed in the wizard's lot field, {name} ({k['keys']} keys) | {k['ours_' + stat] * 1000:.2f} ms "
              f"| bare QLineEdit {k['bare_' + stat] * 1000:.2f} ms | {k['ours_' + stat] / k['bare_' + stat]:.1f}x | |")
    print(f"| of which the key's own handlers (keyClick, before repaint), median / 95th | "
          f"{k['handlers_median'] * 1000:.2f} / {k['handlers_p95'] * 1000:.2f} ms | | | |")
    print(f"| evaluations of the draft per key | {k['evaluations']:.2f} | | | 1 |")
    print(f"| patient sheet ({d['pages']} pages) | {d['ours_s'] * 1000:.0f} ms | bare reportlab, {d['pages']} pages "
          f"{d['bare_s'] * 1000:.0f} ms | {d['ours_s'] / d['bare_s']:.2f}x | ≤ 1.5x |")
    print(f"| the same sheet | {d['ours_s'] * 1000:.0f} ms | bare reportlab, {d['pages']} pages, same embedded font "
          f"{d['bare_ttf_s'] * 1000:.0f} ms | {d['ours_s'] / d['bare_ttf_s']:.2f}x | |")
    print(f"| bundle on disk | {bundle_size()} | | | |")
    print(flush=True)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "search.py"), "--sizes", *map(str, args.sizes)],
                   check=True)


if __name__ == "__main__":
    main()
