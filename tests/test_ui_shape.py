"""Ensure the windows keep one job per file: every tab and Follow-up page is its own module, none
of them imports the window around it (by statement or by what importing it loads), each has
`refresh()`, and no module of the shell is over 400 lines."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "screening_app" / "ui"
TABS = sorted(p for p in (UI / "tabs").glob("*.py") if p.name != "__init__.py")
PAGES = sorted(p for p in (UI / "aftercare").glob("*.py") if p.name not in ("__init__.py", "forms.py", "page.py"))
SHELLS = {"main_window", "workstation", "aftercare_tab"}  # the windows around the tabs and pages


def imported_modules(path: Path) -> set[str]:
    """The last part of every module a file imports, relative or absolute."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.rsplit(".", 1)[-1] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.add(node.module.rsplit(".", 1)[-1])
            found |= {alias.name for alias in node.names}  # `from .. import main_window`
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_there_is_a_module_per_tab_and_per_page():
    assert {p.stem for p in TABS} == {"home", "queue", "records", "accounts", "audit"}
    assert {p.stem for p in PAGES} == {"due", "treatments", "events", "lookback"}


@pytest.mark.parametrize("path", TABS + PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_tab_or_page_imports_the_window_around_it(path):
    assert not imported_modules(path) & SHELLS


def test_importing_every_tab_and_page_loads_no_window_and_each_can_refresh():
    names = [module_name(p) for p in TABS + PAGES]
    code = ("import importlib, sys, inspect\n"
            "from PySide6.QtWidgets import QWidget\n"
            f"for name in {names!r}:\n"
            "    module = importlib.import_module(name)\n"
            "    widgets = [c for _, c in inspect.getmembers(module, inspect.isclass)\n"
            "               if c.__module__ == name and issubclass(c, QWidget) and hasattr(c, 'exposes')]\n"
            "    assert len(widgets) == 1, (name, widgets)\n"
            "    assert 'refresh' in vars(widgets[0]), (name, 'has no refresh()')\n"
            "loaded = sorted(m for m in sys.modules if m.rsplit('.', 1)[-1] in "
            f"{sorted(SHELLS)!r} and m.startswith('screening_app'))\n"
            "print(','.join(loaded))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""


def test_no_module_of_the_windows_is_over_400_lines():
    big = {str(p.relative_to(UI)): n for p in UI.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert big == {}


# Qt calls and widgets whose text staff read; a literal word in one of them is a word outside
# resources/locale (the wizard has its own check, tests/test_wizard_wording.py).
SHOWN = {"setText", "setWindowTitle", "setToolTip", "setPlaceholderText", "setAccessibleName", "showMessage",
         "addTab", "addItem", "addItems", "setButtonText", "setSubTitle", "setTitle", "tell", "ask_yes_no",
         "ask_reason", "ask_file", "ask_open_file", "QLabel", "QPushButton", "QCheckBox", "QGroupBox", "warning",
         "critical", "information", "question"}
MESSAGE_BOX = {"warning", "critical", "information", "question"}


def literal_words(node: ast.AST) -> bool:
    parts = [node] if isinstance(node, ast.Constant) else node.values if isinstance(node, ast.JoinedStr) else []
    return any(isinstance(p, ast.Constant) and isinstance(p.value, str) and any(w.isalpha() and len(w) > 2
               for w in p.value.replace("&", "").split()) for p in parts)


def test_the_windows_show_no_literal_words():
    found = []
    for path in UI.rglob("*.py"):
        if path.relative_to(UI).parts[0].startswith("wizard"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in MESSAGE_BOX and getattr(getattr(node.func, "value", None), "id", "") != "QMessageBox":
                    continue  # a logger's warning, not a message box
                shown = node.args[:1] if name in ("addItem", "addTab") and len(node.args) > 1 else node.args
                if name in SHOWN and any(literal_words(a) for a in shown):
                    found.append(f"{path.relative_to(UI)}:{node.lineno}")
    assert found == [], "words to move to resources/locale (say(...))"
