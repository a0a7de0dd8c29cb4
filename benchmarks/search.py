"""Search speed of the records store at 1,000 / 10,000 / 100,000 screenings.

    .venv/bin/python benchmarks/search.py [--sizes 1000 10000 100000] [--repeat 30]

Each store is a real SQLite file in a temporary folder, filled through the store's own
tables (names in several scripts, dates over five years, all three outcomes). Each search
is the median of --repeat runs, reported in milliseconds and as a ratio to a baseline
measured in the same run on the same store: fetching one screening by its id.
"""
from __future__ import annotations

import argparse
import json
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

from sqlalchemy import insert  # noqa: E402

from screening_app.records import schema as t  # noqa: E402
from screening_app.records.store import Store, fold, name_words, now  # noqa: E402

FIRST = ["Zoë", "Ana", "Łukasz", "Νίκος", "Олег", "Maria", "James", "Wei", "Fatima", "Hiro", "Chloé", "Sven",
         "Ngozi", "Priya", "Diego", "Ava", "Noah", "Liam", "Emma", "Mia"]
LAST = ["Ångström", "Nowak", "Παπαδόπουλος", "Иванов", "Garcia", "Smith", "王", "Khan", "Tanaka", "Dubois",
        "Larsen", "Okafor", "Patel", "López", "Brown", "Nguyen", "Müller", "Rossi", "Silva", "Kowalski"]
OUTCOMES = ["no_contraindication_found", "clinician_review", "do_not_treat"]


def fill(store: Store, count: int, rng: random.Random) -> list[str]:
    with store._write() as c:
        staff_id = c.execute(insert(t.staff).values(username="bench", display_name="Bench", role="front_desk",
                                                    password_hash="x", active=True, created_at=now())
                             ).inserted_primary_key[0]
    ids = []
    batch, tokens = [], []
    start = date(2022, 1, 1)
    for i in range(count):
        sid = str(uuid.uuid4())
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        dob = (date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000))).isoformat()
        day = (start + timedelta(days=rng.randrange(0, 5 * 365))).isoformat()
        draft = {"name": name, "date_of_birth": dob, "treatment_date": day}
        batch.append(dict(id=sid, status="finished", step=5, draft_json=json.dumps(draft), patient_name=name,
                          name_key=fold(name), date_of_birth=dob, treatment_date=day, outcome=rng.choice(OUTCOMES),
                          created_by=staff_id, created_at=now(), updated_by=staff_id, updated_at=now(),
                          row_version=1))
        tokens.extend({"screening_id": sid, "token": w} for w in set(name_words(name)))
        ids.append(sid)
        if len(batch) == 5000 or i == count - 1:
            with store._write() as c:
                c.execute(insert(t.screenings), batch)
                c.execute(insert(t.name_tokens), tokens)
            batch, tokens = [], []
    return ids


def median_ms(fn, repeat: int) -> float:
    fn()  # warm the cache, as a workstation in use is
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(20261122)
    print(f"# records search, {date.today().isoformat()}, Python {platform.python_version()}, "
          f"{platform.machine()}, {platform.system()}")
    header = ["screenings", "id lookup (baseline)", "name word", "two name words", "date of birth",
              "one month", "outcome + month", "insert 1 draft"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(Path(folder))
            admin = store.create_first_admin("admin", "Ada", "correct horse battery")
            desk = store.add_staff(admin, "desk2", "Dee", "front_desk", "correct horse battery")
            ids = fill(store, size, rng)
            probe = store.draft(ids[size // 2])
            word = probe.patient_name.split()[1]
            two = " ".join(probe.patient_name.split()[:2])
            base = median_ms(lambda: store.draft(ids[size // 3]), args.repeat)
            cases = [
                lambda: store.search(name=word),
                lambda: store.search(name=two),
                lambda: store.search(date_of_birth=probe.date_of_birth),
                lambda: store.search(date_from="2024-03-01", date_to="2024-03-31"),
                lambda: store.search(outcome="do_not_treat", date_from="2024-03-01", date_to="2024-03-31"),
                lambda: store.new_draft(desk, {"name": "New Patient"}),
            ]
            cells = [f"{size:,}", f"{base:.2f} ms"]
            for case in cases:
                ms = median_ms(case, args.repeat)
                cells.append(f"{ms:.2f} ms ({ms / base:.1f}x)")
            print("| " + " | ".join(cells) + " |", flush=True)
            store.close()


if __name__ == "__main__":
    main()
