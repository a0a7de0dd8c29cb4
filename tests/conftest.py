"""Shared test setup: Qt runs offscreen, and every test gets its own data folders."""
import copy
import datetime as dt
import json
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screening_app.screening import default_content  # noqa: E402

TODAY = dt.date.today()


def all_answers(value="no", **overrides):
    answers = {qid: value for qid in default_content().question_ids}
    answers.update(overrides)
    return answers


GOOD_PRODUCT = {
    "lot": "EV-2291", "coa_lot_matches": True, "markers": ["CD9", "CD63", "CD81"],
    "sterility_tested": True, "endotoxin_tested": True, "mycoplasma_tested": True,
    "donor_screened": True, "gmp_facility": True, "ind_number": "IND 12345",
    "storage_c": -80, "freeze_thaw_cycles": 0,
    "expiry": (TODAY + dt.timedelta(days=120)).isoformat(),
}


def screening_file(**overrides):
    """A complete, valid screening file as a dict; keyword sections replace the defaults."""
    data = {
        "patient": {"name": "Zoë Ångström", "date_of_birth": "1980-04-02", "patient_id": "A-1001"},
        "treatment": {"route": "topical", "area": "face", "date": TODAY.isoformat()},
        "answers": all_answers(),
        "product": copy.deepcopy(GOOD_PRODUCT),
    }
    data.update(overrides)
    return data


@pytest.fixture
def write_screening(tmp_path):
    def write(data, name="screening.json"):
        path = tmp_path / name
        path.write_text(json.dumps(data, ensure_ascii=False) if not isinstance(data, str) else data,
                        encoding="utf-8")
        return path
    return write


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    """Every test gets empty data and config folders of its own, never the user's real ones."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SCREENING_APP_HOME", str(home))
    return home
