"""Ensure the clinical core, the sheet and the records never load Qt, and no module does two jobs."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = ["screening_app.screening", "screening_app.cli"]


def test_importing_the_clinical_core_loads_no_qt():
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in PURE)
            + "from screening_app.screening import default_content, evaluate\n"
            + "evaluate({}, 'topical')\n"
            + "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'PyQt')))\n"
            + "print(','.join(qt))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_no_qt_import_statement_outside_ui():
    offenders = []
    for path in (ROOT / "screening_app").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "screening_app").parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        if "PySide6" in text or "PyQt" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_module_of_the_package_is_over_400_lines():
    """One job per file (issue 13): a module that grows past 400 lines is doing two jobs."""
    sizes = {str(p.relative_to(ROOT)): n for p in (ROOT / "screening_app").rglob("*.py")
             if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert sizes == {}
