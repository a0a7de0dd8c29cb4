"""Shared test setup: Qt runs offscreen, and every test gets its own data folders."""
import copy
import datetime as dt
import json
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The test server has one login, which owns the schemas it creates; the app refuses such a
# login on a clinic's server (records/roles.py). tests/test_trust.py proves the refusal.
os.environ.setdefault("SCREENING_APP_ALLOW_OWNER_LOGIN", "1")

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


# --- stores on both backends ----------------------------------------------------------------
# PostgreSQL tests need a server: SCREENING_APP_TEST_PG_URL names a database the tests may
# create schemas in (.ci/run starts one on loopback and sets it). Without it they are skipped.
PG_URL = os.environ.get("SCREENING_APP_TEST_PG_URL", "")
BACKENDS = ["sqlite", "postgresql"]


def pg_schema_url(schema: str) -> str:
    from sqlalchemy import make_url
    url = make_url(PG_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def pg_schema():
    """A fresh, empty schema on the test server; dropped afterwards."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests skipped: no server given (set SCREENING_APP_TEST_PG_URL; .ci/run does)")
    import uuid

    from sqlalchemy import create_engine
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT",
                          pool_pre_ping=True)
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE SCHEMA {name}")
    except Exception as exc:  # a server named but not there is a failure, not a skip
        pytest.fail(f"PostgreSQL at SCREENING_APP_TEST_PG_URL cannot be used: {exc}")
    yield name
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'screenings.sqlite3'}"
    else:
        yield pg_schema_url(request.getfixturevalue("pg_schema"))


PASSWORD = "correct horse battery"


@pytest.fixture
def store(store_url):
    """A store on each backend (SQLite file, PostgreSQL schema), empty."""
    from screening_app.records.store import Store
    s = Store.open(url=store_url)
    yield s
    s.close()


@pytest.fixture
def people(store):
    """The store's staff, signed in: an admin, the front desk and two clinicians."""
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    return {"admin": admin,
            "desk": store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD),
            "doc": store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD),
            "doc2": store.add_staff(admin, "okafor", "Dr. Ike Okafor", "clinician", PASSWORD)}


def raw_sql(store, statements: list[str]) -> None:
    """Runs SQL behind the store's back, as someone with direct access to the database would."""
    with store.engine.connect() as c:
        for sql in statements:
            c.exec_driver_sql(sql)
        c.commit()


def disable_protection(store, table: str) -> str:
    return (f"DROP TRIGGER {table}_no_update" if store.dialect == "sqlite"
            else f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change")


# The independent FHIR validator's R4 models, for every test that checks an export.
@pytest.fixture(scope="session")
def r4():
    try:  # a test-only dependency (pyproject's `test` extra); its R4 models take ~20 s to import
        import fhircraft.fhir.resources.datatypes.R4.core as models
    except ImportError as exc:
        pytest.fail(f"fhircraft is needed for these tests (pip install -e '.[test]'): {exc}")
    return models
