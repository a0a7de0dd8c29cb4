"""`screening-app --self-test`: proves an installed copy works, part by part.

Starts Qt offscreen, builds a patient sheet with the bundled fonts and opens it with QtPdf,
opens a store in a temporary folder and records a screening; exits 0, or names what failed.
Run it from the bundle after a build, and on a workstation after installing.
"""
from __future__ import annotations

import os
import tempfile
import traceback
from pathlib import Path

NAME = "Zoë Ångström 李雷 Олег محمد דוד 김민준 अक्षय สมชาย"


def _check_content():
    from .screening import default_content, evaluate
    content = default_content()
    result = evaluate({q: "no" for q in content.question_ids} | {"active_malignancy": "yes"}, "topical")
    assert result.outcome.value == "do_not_treat", result.outcome
    return f"questionnaire {content.questionnaire_version}, rules {content.rules_version}"


def _sheet() -> bytes:
    import json

    from .screening import default_content, read_screening, screen
    answers = {q: "no" for q in default_content().question_ids}
    screening = read_screening(json.dumps({"patient": {"name": NAME, "date_of_birth": "1980-04-02"},
                                           "treatment": {"route": "topical"}, "answers": answers}))
    from .sheets import build_sheet
    return build_sheet(screening, screen(screening))


def _check_sheet():
    pdf = _sheet()
    assert pdf.startswith(b"%PDF"), "not a PDF"
    from reportlab.pdfbase.ttfonts import uharfbuzz
    assert uharfbuzz is not None, "uharfbuzz is missing: Arabic, Hebrew, Devanagari and Thai names cannot be shaped"
    for font in (b"NotoSans", b"DroidSansFallback", b"NotoSansArabic", b"NotoSansHebrew", b"NotoSansDevanagari",
                 b"NotoSansThai", b"NanumSquare"):
        assert font in pdf, f"font {font.decode()} not embedded"
    return f"{len(pdf):,} bytes, fonts embedded"


def _check_languages():
    """Every language pack loads whole (same keys and versions as English), Babel has its
    dates, and the app's own words come from their catalogues."""
    import datetime as dt

    from .screening import default_content
    from .screening.languages import available_languages, load_pack
    from .screening.localize import format_day
    from .wording import say
    content = default_content()
    codes = [c for c in available_languages() if c != "en"]
    for code in codes:
        load_pack(code, content)
        assert format_day(dt.date(1980, 4, 2), code), f"no date format for {code}"
    assert say("common.ok")
    return "packs " + ", ".join(codes) + "; the app's words read"


def _check_qt():
    from .ui.application import self_check
    return self_check(_sheet())


def _check_store():
    from .casework import Draft
    from .records.store import Store
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        admin = store.create_first_admin("selftest", "Self Test", "self-test-password")
        doc = store.add_staff(admin, "doc", "Doc", "clinician", "self-test-password")
        row = store.new_draft(doc, Draft(name=NAME).to_json())
        ok, message = store.verify_audit()
        found = store.search(name="angstrom")
        store.close()
    assert ok, message
    assert [r["id"] for r in found] == [row.id], "search did not find the screening"
    return "created, searched, audit chain intact"


def _check_server_driver():
    """The shared-server store needs psycopg with its own libpq (workstations have none)."""
    import psycopg
    assert psycopg.pq.__impl__ in ("binary", "c"), f"psycopg has no compiled libpq ({psycopg.pq.__impl__})"
    return f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}, libpq {psycopg.pq.version()})"


CHECKS = [("clinical content", _check_content), ("patient sheet", _check_sheet), ("languages", _check_languages),
          ("Qt and PDF preview", _check_qt), ("records store", _check_store),
          ("PostgreSQL driver", _check_server_driver)]


def run() -> int:
    failed = 0
    for name, check in CHECKS:
        try:
            detail = check()
            print(f"ok    {name}: {detail}")
        except Exception as exc:  # the point is to name whatever broke
            failed += 1
            print(f"FAIL  {name}: {type(exc).__name__}: {exc}")
            if os.environ.get("SCREENING_APP_DEBUG"):
                traceback.print_exc()
    print("self-test passed" if not failed else f"self-test FAILED: {failed} of {len(CHECKS)} checks")
    return 0 if not failed else 1
