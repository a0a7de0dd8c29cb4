"""Search speed of the records store at 1,000 / 10,000 / 100,000 / 1,000,000 screenings.

    .venv/bin/python benchmarks/search.py [--sizes 1000 10000 100000 1000000] [--repeat 30]
        [--backend sqlite postgresql] [--keep FOLDER]

Each store is filled straight into the store's own tables, in one transaction (names in
several scripts, each of 20 surnames on 5% of the patients, dates over five years, all three
outcomes); the app's own triggers and indexes do the rest. SQLite stores are files; with
--keep FOLDER each size's file is kept there and reused by the next run (building 1,000,000
takes minutes). PostgreSQL (SCREENING_APP_TEST_PG_URL) gets one schema per size,
bench_search_<size>, kept and reused the same way (--fresh drops and rebuilds them).

Each search is the median of --repeat runs, in milliseconds and as a ratio to a baseline
measured in the same run on the same store: fetching one screening by its id. The last
column is the search a common surname made before migration 0006 (every match read and
sorted), on the same store (median of 3).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SCREENING_APP_ALLOW_OWNER_LOGIN", "1")  # a benchmark server with one login

from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

from screening_app.records import schema as t  # noqa: E402
from screening_app.records.store import Store, fold, name_words  # noqa: E402

FIRST = ["Zoë", "Ana", "Łukasz", "Νίκος", "Олег", "Maria", "James", "Wei", "Fatima", "Hiro", "Chloé", "Sven",
         "Ngozi", "Priya", "Diego", "Ava", "Noah", "Liam", "Emma", "Mia"]
LAST = ["Ångström", "Nowak", "Παπαδόπουλος", "Иванов", "Garcia", "Smith", "王", "Khan", "Tanaka", "Dubois",
        "Larsen", "Okafor", "Patel", "López", "Brown", "Nguyen", "Müller", "Rossi", "Silva", "Kowalski"]
OUTCOMES = ["no_contraindication_found", "clinician_review", "do_not_treat"]
SCREENING_COLUMNS = ("id", "status", "step", "draft_json", "patient_name", "name_key", "date_of_birth",
                     "treatment_date", "outcome", "created_by", "created_at", "updated_by", "updated_at",
                     "row_version", "patient_key")
TOKEN_COLUMNS = ("screening_id", "token", "treatment_date", "updated_at")
BATCH = 50_000


def rows(count: int, staff_id: int, rng: random.Random):
    """Batches of (screening rows, token rows), as the store would have written them."""
    start = date(2022, 1, 1)
    base = time.time()
    screenings, tokens = [], []
    for i in range(count):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        dob = (date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000))).isoformat()
        day = (start + timedelta(days=rng.randrange(0, 5 * 365))).isoformat()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(base - rng.randrange(0, 5 * 365 * 86400)))
        draft = {"name": name, "date_of_birth": dob, "treatment_date": day}
        words = name_words(name)
        screenings.append((sid, "finished", 5, json.dumps(draft), name, fold(name), dob, day, rng.choice(OUTCOMES),
                           staff_id, stamp, staff_id, stamp, 1, f"{' '.join(words)}|{dob}"))
        tokens.extend((sid, w, day, stamp) for w in sorted(set(words)))
        if len(screenings) == BATCH or i == count - 1:
            yield screenings, tokens
            screenings, tokens = [], []


def fill(store: Store, staff_id: int, count: int, rng: random.Random) -> None:
    """Straight into the tables: the app's API would take hours at 1,000,000. SQLite in one
    transaction; PostgreSQL by COPY, one transaction per batch of 50,000, so a build cut off
    (the test server is shared, and some tests end every session on it) resumes where it was."""
    if store.dialect == "sqlite":
        with store._write() as c:
            raw = c.connection.driver_connection
            raw.execute("PRAGMA cache_size = -1000000")  # 1 GB for the build; the app's connections keep theirs
            for screenings, tokens in rows(count, staff_id, rng):
                raw.executemany(f"INSERT INTO screenings ({', '.join(SCREENING_COLUMNS)}) "
                                f"VALUES ({', '.join('?' * len(SCREENING_COLUMNS))})", screenings)
                raw.executemany(f"INSERT INTO name_tokens ({', '.join(TOKEN_COLUMNS)}) "
                                f"VALUES ({', '.join('?' * len(TOKEN_COLUMNS))})", tokens)
        return
    with store._read() as c:
        done = c.execute(text("SELECT count(*) FROM screenings")).scalar() or 0
    for n, (screenings, tokens) in enumerate(rows(count, staff_id, rng)):
        if (n + 1) * BATCH <= done:
            continue  # committed by an earlier, interrupted build
        for attempt in range(5):
            try:
                with store._write() as c, c.connection.driver_connection.cursor() as cur:
                    with cur.copy(f"COPY screenings ({', '.join(SCREENING_COLUMNS)}) FROM STDIN") as copy:
                        for row in screenings:
                            copy.write_row(row)
                    with cur.copy(f"COPY name_tokens ({', '.join(TOKEN_COLUMNS)}) FROM STDIN") as copy:
                        for row in tokens:
                            copy.write_row(row)
                break
            except Exception as exc:  # noqa: BLE001 - a shared test server may drop the session
                print(f"<!-- batch {n} failed ({exc}); again -->", flush=True)
                time.sleep(2 + attempt)
        else:
            raise SystemExit("the PostgreSQL server keeps dropping the build; run again to resume")
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE screenings")  # what autovacuum does on a live server
        c.exec_driver_sql("VACUUM ANALYZE name_tokens")


def open_store(backend: str, size: int, keep: Path | None, fresh: bool, rng: random.Random) -> tuple[Store, object]:
    """The store of this size, built unless a finished one is kept; and what to clean up."""
    cleanup = None
    if backend == "sqlite":
        if keep is None:
            cleanup = tempfile.TemporaryDirectory()
            folder = Path(cleanup.name)
        else:
            folder = keep / f"search-{size}"
            if fresh and folder.exists():
                for f in folder.iterdir():
                    f.unlink()
        store = Store.open(folder)
    else:
        url = os.environ.get("SCREENING_APP_TEST_PG_URL", "")
        if not url:
            raise SystemExit("--backend postgresql needs SCREENING_APP_TEST_PG_URL")
        schema = f"bench_search_{size}"
        admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            if fresh:
                c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            c.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        admin.dispose()
        store = Store.open(url=make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
                           .render_as_string(hide_password=False))
    with store._read() as c:
        built = c.execute(select(t.settings.c.value).where(t.settings.c.key == "bench_built")).scalar()
    if built != str(size):
        started = time.perf_counter()
        if store.has_staff():  # an interrupted build: carry on with its accounts
            desk = store.authenticate("desk2", "correct horse battery")
            assert desk is not None
        else:
            admin_staff = store.create_first_admin("admin", "Ada", "correct horse battery")
            desk = store.add_staff(admin_staff, "desk2", "Dee", "front_desk", "correct horse battery")
        fill(store, desk.id, size, rng)
        with store._write() as c:
            c.execute(t.settings.insert().values(key="bench_built", value=str(size)))
        print(f"<!-- built {size:,} on {backend} in {time.perf_counter() - started:.0f} s -->", flush=True)
    return store, cleanup


def median_ms(fn, repeat: int) -> float:
    fn()  # warm the cache, as a workstation in use is
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def before_0006(store: Store, word: str) -> list:
    """The search as it was before migration 0006: every match read, then sorted."""
    s, n = t.screenings, t.name_tokens
    token = n.c.token.collate("C") if store.dialect == "postgresql" else n.c.token
    ids = select(n.c.screening_id).where(token >= word, token < word + "\U0010ffff")
    query = (select(s.c.id, s.c.status, s.c.patient_name, s.c.date_of_birth, s.c.treatment_date, s.c.outcome,
                    s.c.updated_at, s.c.amends).where(s.c.status != "discarded", s.c.id.in_(ids))
             .order_by((s.c.treatment_date + "").desc(), s.c.updated_at.desc()).limit(200))
    with store._read() as c:
        return c.execute(query).all()


def measure(store: Store, repeat: int) -> list[float]:
    with store._read() as c:
        base_id = c.execute(text("SELECT id FROM screenings WHERE id >= '5' ORDER BY id LIMIT 1")).scalar()
        probe = c.execute(text("SELECT id, patient_name, date_of_birth FROM screenings WHERE id >= '8' "
                               "ORDER BY id LIMIT 1")).one()
    word = probe.patient_name.split()[1]
    two = " ".join(probe.patient_name.split()[:2])
    desk = store.authenticate("desk2", "correct horse battery")
    assert desk is not None
    cases = [
        lambda: store.draft(base_id),
        lambda: store.search(name=word),
        lambda: store.search(name=two),
        lambda: store.search(date_of_birth=probe.date_of_birth),
        lambda: store.search(date_from="2024-03-01", date_to="2024-03-31"),
        lambda: store.search(outcome="do_not_treat", date_from="2024-03-01", date_to="2024-03-31"),
        lambda: store.new_draft(desk, {"name": "New Patient"}),
    ]
    # The old search takes seconds at 1,000,000: a few runs tell its median well enough.
    return [median_ms(case, repeat) for case in cases] + [median_ms(lambda: before_0006(store, fold(word)), 3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    parser.add_argument("--keep", type=Path, help="folder to keep the SQLite stores in, and reuse them from")
    parser.add_argument("--fresh", action="store_true", help="rebuild kept stores")
    args = parser.parse_args()
    print(f"# records search, {date.today().isoformat()}, Python {platform.python_version()}, "
          f"{platform.machine()}, {platform.system()}, {os.cpu_count()} cores")
    header = ["backend", "screenings", "id lookup (baseline)", "name word (5%)", "two name words",
              "date of birth", "one month", "outcome + month", "insert 1 draft", "name word, before 0006"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for backend in args.backend:
        for size in args.sizes:
            store, cleanup = open_store(backend, size, args.keep, args.fresh, random.Random(20261122 + size))
            try:
                base, *rest = measure(store, args.repeat)
            finally:
                store.close()
                if cleanup is not None:
                    cleanup.cleanup()
            cells = [backend, f"{size:,}", f"{base:.2f} ms"] + [f"{ms:.2f} ms ({ms / base:.1f}x)" for ms in rest]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
