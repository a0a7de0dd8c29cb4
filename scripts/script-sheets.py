"""Prints a consent sheet for a patient name in each script the product claims, and keeps the
first page of each (patient row and footer) as docs/scripts/sheet-SCRIPT.png, small (60 dpi).

    .venv/bin/python scripts/script-sheets.py [--all-pages DIR]

--all-pages DIR also writes every page at 110 dpi into DIR, to look at the signature block.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from screening_app.screening import default_content, read_screening, screen  # noqa: E402
from screening_app.sheets import Clinic, build_sheet  # noqa: E402

NAMES = {
    "arabic": "محمد عبد الله الفلسطيني",
    "hebrew": "דוד בן־גוריון כהן",
    "korean": "김민준",
    "devanagari": "अक्षय शर्मा त्रिपाठी",
    "thai": "สมชาย ใจดี",
    "chinese": "王小明",
    "greek": "Νίκος Παπαδόπουλος",
    "cyrillic": "Олег Иванович",
    "latin": "François Nuñez-Müller",
}
CLINIC = Clinic("Riverside Skin & Wellness", "12 Main St, Springfield, IL 62701", "(217) 555-0147")


def sheet(name: str) -> bytes:
    data = {"patient": {"name": name, "date_of_birth": "1980-04-02", "patient_id": "A-1001"},
            "treatment": {"route": "topical", "area": "face"},
            "answers": {q: "no" for q in default_content().question_ids}}
    screening = read_screening(json.dumps(data))
    return build_sheet(screening, screen(screening), clinic=CLINIC)


def main(argv: list[str]) -> None:
    out = ROOT / "docs" / "scripts"
    out.mkdir(parents=True, exist_ok=True)
    every = Path(argv[argv.index("--all-pages") + 1]) if "--all-pages" in argv else None
    with tempfile.TemporaryDirectory() as tmp:
        for script, name in NAMES.items():
            pdf = Path(tmp) / f"{script}.pdf"
            pdf.write_bytes(sheet(name))
            subprocess.run(["pdftoppm", "-png", "-gray", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                            str(out / f"sheet-{script}")], check=True)
            png = out / f"sheet-{script}.png"  # 16 greys: a quarter of the size, as legible
            Image.open(png).convert("L").quantize(16).save(png, optimize=True)
            if every:
                every.mkdir(parents=True, exist_ok=True)
                subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(every / script)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
