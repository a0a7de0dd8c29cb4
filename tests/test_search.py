"""Ensure the search list finds what it found before migration 0006, in the same order, on
both backends, and that it reads the rows it shows out of an index in the list's order
(no full scan of the screenings, no sort of every match), whatever the query kind."""
import datetime as dt
import random
import uuid

import pytest
from conftest import GOOD_PRODUCT, TODAY, all_answers, raw_sql
from sqlalchemy import event, insert, intersect, select

from screening_app.casework import Draft
from screening_app.records import schema as t
from screening_app.records import search as search_module
from screening_app.records.identity import fold, name_words, patient_key
from screening_app.records.store import Store

PASSWORD = "correct horse battery"
DAY = [(TODAY + dt.timedelta(days=n)).isoformat() for n in range(5)]  # finishing needs a day not yet past


@pytest.fixture
def store(store_url):
    s = Store.open(url=store_url)
    yield s
    s.close()


@pytest.fixture
def people(store):
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    return {"admin": admin, "desk": desk, "doc": doc}


def before_0006(store, *, name="", date_of_birth="", date_from="", date_to="", outcome="",
                include_unfinished=True, limit=200):
    """The search as it stood before 0006 (every match read, then sorted), with the id as the
    last tie-break: the list's order, which 0006 makes total (before, equal dates and change
    times came in whatever order the plan gave)."""
    s, n = t.screenings, t.name_tokens
    query = select(s.c.id, s.c.status, s.c.patient_name, s.c.date_of_birth, s.c.treatment_date, s.c.outcome,
                   s.c.updated_at, s.c.amends).where(s.c.status != "discarded")
    words = name_words(name)
    if words:
        token = n.c.token.collate("C") if store.dialect == "postgresql" else n.c.token
        per_word = [select(n.c.screening_id).where(token >= w, token < w + "\U0010ffff") for w in words]
        query = query.where(s.c.id.in_(intersect(*per_word) if len(per_word) > 1 else per_word[0]))
    if date_of_birth:
        query = query.where(s.c.date_of_birth == date_of_birth)
    if date_from:
        query = query.where(s.c.treatment_date >= date_from)
    if date_to:
        query = query.where(s.c.treatment_date <= date_to)
    if outcome:
        query = query.where(s.c.outcome == outcome)
    if not include_unfinished:
        query = query.where(s.c.status == "finished")
    query = query.order_by(s.c.treatment_date.desc(), s.c.updated_at.desc(), s.c.id.desc()).limit(limit)
    with store.engine.connect() as c:
        return [dict(r) for r in c.execute(query).mappings()]


def draft(name, dob="1980-04-02", day=DAY[1], **answers):
    return Draft(name=name, date_of_birth=dob, treatment_date=day, route="topical", area="face",
                 answers=all_answers(**answers))


def a_clinic_day(store, people):
    """Screenings through every door that changes what the list shows: new, renamed,
    re-dated, handed over, claimed, discarded, finished, amended; ties on date and time."""
    desk, doc = people["desk"], people["doc"]
    names = ["Zoë Ångström", "Anna Annabel Smith", "Annika Smithson", "Łukasz Żółć", "李雷", "Ole Øre-Ånes",
             "Smith Anna", "Ann Smith", "Zoe Angstrom"]
    rows = [store.new_draft(desk, draft(n, day=DAY[1 + i % 3], dob=f"19{70 + i % 2}-01-01").to_json())
            for i, n in enumerate(names)]
    renamed = store.draft(rows[3].id)
    store.save_draft(desk, renamed.id, draft("Anneliese Smith", day=DAY[0]).to_json(), step=1,
                     version=renamed.row_version)
    store.hand_over(desk, rows[1].id, rows[1].row_version)
    store.claim(doc, rows[1].id)
    store.discard(desk, rows[2].id)
    finished = draft("Zoë Ångström-Smith", day=DAY[2])
    row = store.new_draft(desk, finished.to_json())
    store.hand_over(desk, row.id, row.row_version)
    claimed = store.claim(doc, row.id)
    finished.product = dict(GOOD_PRODUCT)
    store.finish(doc, row.id, version=claimed.row_version, screening_file=finished.to_screening_file(),
                 sheet_version="1.0.0")
    store.amend(doc, row.id)
    return rows


QUERIES = [
    {}, {"name": "smith"}, {"name": "SMI"}, {"name": "ann"}, {"name": "ann smith"}, {"name": "smith ann"},
    {"name": "smi ann"}, {"name": "anna annabel"}, {"name": "zoe"}, {"name": "ZOË ång"}, {"name": "angstrom zoe"},
    {"name": "lukasz"}, {"name": "anneliese"}, {"name": "李"}, {"name": "ole ore anes"}, {"name": "nobody"},
    {"name": "a"}, {"name": " - "}, {"date_of_birth": "1970-01-01"}, {"date_of_birth": "1971-01-01", "name": "ann"},
    {"date_from": DAY[2], "date_to": DAY[3]}, {"date_from": DAY[2]}, {"date_to": DAY[1]},
    {"outcome": "no_contraindication_found"}, {"outcome": "no_contraindication_found", "date_from": DAY[1],
                                               "date_to": DAY[4]},
    {"name": "smith", "outcome": "no_contraindication_found"}, {"name": "ann", "date_from": DAY[2]},
    {"include_unfinished": False}, {"name": "zoe", "include_unfinished": False},
    {"name": "ann", "limit": 1}, {"name": "ann", "limit": 2}, {"name": "smith ann", "limit": 2}, {"limit": 3},
]


@pytest.mark.parametrize("merge_words", [search_module.MERGE_WORDS, 1])
def test_every_search_finds_the_rows_it_found_before_in_the_same_order(store, people, monkeypatch, merge_words):
    """merge_words=1 sends every prefix standing for two or more name words the old way."""
    monkeypatch.setattr(search_module, "MERGE_WORDS", merge_words)
    a_clinic_day(store, people)
    for query in QUERIES:
        assert store.search(**query) == before_0006(store, **query), query
    assert {r["patient_name"] for r in store.search(name="smith")} >= {"Anna Annabel Smith", "Ann Smith", "Smith Anna",
                                                                       "Anneliese Smith", "Zoë Ångström-Smith"}


def test_each_name_word_carries_its_screenings_place_in_the_list(store, people):
    """Whoever writes, the token rows hold their screening's treatment date and last change:
    the triggers copy them on every save, hand-over, claim and finish, and overrule a writer
    that puts anything else there."""
    rows = a_clinic_day(store, people)
    raw_sql(store, ["UPDATE name_tokens SET treatment_date = '1999-01-01', updated_at = 'x'",
                    f"DELETE FROM name_tokens WHERE screening_id = '{rows[0].id}'",
                    f"INSERT INTO name_tokens (screening_id, token, treatment_date, updated_at) "
                    f"VALUES ('{rows[0].id}', 'zoe', '2000-01-01', 'y')"])
    s, n = t.screenings, t.name_tokens
    with store.engine.connect() as c:
        pairs = c.execute(select(n.c.treatment_date, s.c.treatment_date, n.c.updated_at, s.c.updated_at)
                          .join(s, s.c.id == n.c.screening_id)).all()
    assert len(pairs) > 20
    assert all(a == b and x == y for a, b, x, y in pairs)
    assert [r["id"] for r in store.search(name="zoe")] == [r["id"] for r in before_0006(store, name="zoe")]


# --- the plans --------------------------------------------------------------------------------

SURNAMES = ["Nowak", "Smith", "Garcia", "Khan", "Tanaka", "Dubois", "Larsen", "Okafor", "Patel", "López",
            "Brown", "Nguyen", "Müller", "Rossi", "Silva", "Kowalski", "Ångström", "Иванов", "王", "Rivera"]
FIRST = ["Zoë", "Ana", "Łukasz", "Maria", "James", "Wei", "Fatima", "Hiro", "Chloé", "Sven",
         "Ngozi", "Priya", "Diego", "Ava", "Noah", "Liam", "Emma", "Mia", "Omar", "Lena"]


def a_clinic_group(store, staff_id: int, count: int = 50_000) -> None:
    """`count` screenings straight into the tables, each surname on 5% of them."""
    rng = random.Random(13)
    screenings, tokens = [], []
    for _ in range(count):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        name = f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}"
        dob = f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}"
        day = f"202{rng.randrange(2, 7)}-0{rng.randrange(1, 10)}-{rng.randrange(10, 29)}"
        stamp = f"{day}T1{rng.randrange(0, 10)}:{rng.randrange(10, 60)}:00+00:00"
        screenings.append(dict(id=sid, status="finished", step=5, draft_json="{}", patient_name=name,
                               name_key=fold(name), date_of_birth=dob, treatment_date=day,
                               outcome=rng.choice(["no_contraindication_found", "clinician_review", "do_not_treat"]),
                               created_by=staff_id, created_at=stamp, updated_by=staff_id, updated_at=stamp,
                               row_version=1, patient_key=patient_key(name, dob)))
        tokens.extend({"screening_id": sid, "token": w} for w in set(name_words(name)))
    with store._write() as c:
        c.execute(insert(t.screenings), screenings)
        c.execute(insert(t.name_tokens), tokens)
    if store.dialect == "postgresql":  # what autovacuum does on a live server
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE screenings")
            c.exec_driver_sql("VACUUM ANALYZE name_tokens")


PLANNED = [{"name": "nowak"}, {"name": "zoe nowak"}, {"name": "no"}, {"name": "nowak", "outcome": "do_not_treat"},
           {"name": "nowak", "date_from": "2024-03-01", "date_to": "2024-03-31"}, {"date_of_birth": "1980-04-12"},
           {"date_from": "2024-03-01", "date_to": "2024-03-31"}, {},
           {"outcome": "do_not_treat", "date_from": "2024-03-01", "date_to": "2024-03-31"},
           {"name": "nowak", "include_unfinished": False}]


def plans(store, query: dict) -> list[str]:
    """The plan of every statement one search runs, as the database explains it."""
    statements = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.search(**query)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    out = []
    with store.engine.connect() as c, c.begin():  # replayed as the search ran them, planner settings included
        for statement, parameters in statements:
            if statement.startswith("SET "):
                c.exec_driver_sql(statement, parameters)
            if "name_tokens" not in statement and "screenings" not in statement:
                continue
            explain = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
            lines = [r[-1] for r in c.exec_driver_sql(explain + statement, parameters)]
            out.append(statement + "\n" + "\n".join(lines))
    return out


def test_no_search_reads_every_screening_or_sorts_every_match(store, people):
    a_clinic_group(store, people["desk"].id)
    assert len(store.search(name="nowak")) == 200
    for query in PLANNED:
        explained = plans(store, query)
        assert explained, query
        for plan in explained:
            body = plan.split("\n", 1)[1]
            if store.dialect == "sqlite":
                # A SCAN is a full read, unless it walks an index in the list's order (the LIMIT stops it).
                scans = [line for line in body.splitlines() if "SCAN screenings" in line or "SCAN name_tokens" in line]
                assert all("ix_screenings_list_order" in line for line in scans), (query, plan)
                assert "TEMP B-TREE" not in body, (query, plan)
            else:
                assert "Seq Scan on screenings" not in body and "Seq Scan on name_tokens" not in body, (query, plan)
                if query.get("name"):
                    # The list's order comes out of the index: a sort only of the arms' first rows
                    # (a prefix standing for several name words), each arm stopped by its LIMIT.
                    assert "Sort Key" not in body or body.count("Limit") > 1, (query, plan)


def test_name_searches_merge_and_intersect_in_the_index(store, people):
    a_clinic_group(store, people["desk"].id)
    one, two = "\n".join(plans(store, {"name": "no"})), "\n".join(plans(store, {"name": "zoe nowak"}))
    if store.dialect == "sqlite":
        assert "MERGE (UNION)" in one and "MERGE (INTERSECT)" in two
        assert "ix_name_tokens_order (token=?)" in two
    else:
        assert one.count("Index Only Scan Backward using ix_name_tokens_order") >= 2 and "Merge Join" in two
        assert "Index Only Scan Backward using ix_name_tokens_order" in two


def test_upgrading_a_store_with_screenings_gives_each_name_word_its_place(store_url):
    """Migration 0006 on a store that already holds screenings (made at 0005) copies each
    screening's treatment date and last change to its name words: old screenings are found
    in the list's order at once."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    url = store_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(t.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    old = Store(engine, Path("."))  # the store's calls, on the tables as 0005 left them
    admin = old.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = old.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    for i, name in enumerate(["Zoë Ångström", "Ann Smith", "Anna Smithson", "Smith Ann"]):
        old.new_draft(desk, draft(name, day=DAY[i % 2]).to_json())
    t.migrate(engine)
    store = Store.open(url=store_url)
    try:
        s, n = t.screenings, t.name_tokens
        with store.engine.connect() as c:
            pairs = c.execute(select(n.c.treatment_date, s.c.treatment_date, n.c.updated_at, s.c.updated_at)
                              .join(s, s.c.id == n.c.screening_id)).all()
        assert len(pairs) == 8 and all(a == b and x == y for a, b, x, y in pairs)
        for query in ({"name": "smith"}, {"name": "ann smi"}, {"name": "zoe"}):
            assert store.search(**query) == before_0006(store, **query)
    finally:
        store.close()
        engine.dispose()
