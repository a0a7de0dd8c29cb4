"""The search list: screenings by name words, birth date, treatment dates and outcome.

The list shows at most `limit` rows (200 in the app), newest treatment date first, then the
latest change, then the id. Every search reads them out of an index already in that order
and stops once it has them, so its cost follows the rows shown, not the rows matched
(migration 0006 made the indexes):

- with name words and no birth date, each typed word is a prefix of some folded word of
  the name (records/identity.py). The distinct name words it stands for are found by
  skipping through the token index; then each one's screenings come out of the index
  (token, treatment_date, updated_at, screening_id) in the list's order, and the database
  merges them (the words one typed word stands for) and intersects them (one typed word
  with the next) as it reads, stopping at the rows shown. Those screenings alone are read.
  Where two typed words each stand for several name words, the other words are checked
  row by row; a prefix standing for more than MERGE_WORDS words (one or two letters)
  reads all its matches, as before 0006.
- otherwise the screenings' own indexes, each ending in the list's order, drive: birth
  date, or outcome, or treatment dates; name words, if any, are checked row by row.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, intersect, literal, select, text

from . import schema as t
from .identity import name_words

# A typed prefix standing for more distinct name words than this is searched the old way.
MERGE_WORDS = 40
_TOP = "\U0010ffff"  # after every character: [word, word + _TOP) holds the words it begins

_s, _n = t.screenings, t.name_tokens


def search(c, dialect: str, *, name: str = "", date_of_birth: str = "", date_from: str = "", date_to: str = "",
           outcome: str = "", include_unfinished: bool = True, limit: int = 200) -> list[dict]:
    """Rows of the search list on connection `c` (see the module's notes)."""
    words = name_words(name)
    found: dict[str, list[str]] = {}
    for w in words:
        found[w] = _words_beginning(c, dialect, w)
        if not found[w]:
            return []  # no name has a word beginning so: nothing to read
    # Merged in order: every word but at most one stands for a single name word, and none for many.
    many = [w for w in words if len(found[w]) > 1]
    if words and not date_of_birth and len(many) <= 1 and all(len(found[w]) <= MERGE_WORDS for w in words):
        first = many[0] if many else words[0]
        def wanted(row) -> bool:  # the same tests as _filters, on the few rows read by id
            return row["status"] != "discarded" and (not outcome or row["outcome"] == outcome) \
                and (include_unfinished or row["status"] == "finished")
        return _by_name(c, dialect, found[first], [found[w][0] for w in words if w != first], wanted,
                        date_from, date_to, limit)
    wide = [w for w in words if len(found[w]) > MERGE_WORDS]
    query = select(*_COLUMNS)
    if wide and not date_of_birth:
        # Ids matched by every word, intersected in the token index: reads all the matches.
        per_word = [select(_n.c.screening_id).where(*_prefix(dialect, _n.c.token, w)) for w in words]
        query = query.where(_s.c.id.in_(intersect(*per_word) if len(per_word) > 1 else per_word[0]),
                            *_filters(dialect, [], date_of_birth, outcome, include_unfinished))
    else:
        query = query.where(*_filters(dialect, words, date_of_birth, outcome, include_unfinished))
    if date_from:
        query = query.where(_s.c.treatment_date >= date_from)
    if date_to:
        query = query.where(_s.c.treatment_date <= date_to)
    query = query.order_by(_s.c.treatment_date.desc(), _s.c.updated_at.desc(), _s.c.id.desc()).limit(limit)
    return [dict(r) for r in c.execute(query).mappings()]


_COLUMNS = (_s.c.id, _s.c.status, _s.c.patient_name, _s.c.date_of_birth, _s.c.treatment_date, _s.c.outcome,
            _s.c.updated_at, _s.c.amends)


_BY_ID = select(*_COLUMNS).where(_s.c.id.in_(bindparam("ids", expanding=True)))


def _filters(dialect: str, words: list[str], date_of_birth: str, outcome: str, include_unfinished: bool) -> list:
    out = [_s.c.status != "discarded"]
    if date_of_birth:
        out.append(_s.c.date_of_birth == date_of_birth)
    if outcome:
        out.append(_s.c.outcome == outcome)
    if not include_unfinished:
        out.append(_s.c.status == "finished")
    for w in words:  # checked row by row through the token table's key (screening_id, token)
        other = t.name_tokens.alias()
        probe = select(literal(1)).where(other.c.screening_id == _s.c.id, *_prefix(dialect, other.c.token, w))
        if dialect == "postgresql":
            # OFFSET 0 keeps PostgreSQL from turning the probe into a join that reads every
            # screening the word matches: asked row by row, it stops with the rows shown.
            probe = probe.offset(0)
        out.append(probe.exists())
    return out


def _by_name(c, dialect: str, first: list[str], others: list[str], wanted: Callable[[dict], bool], date_from: str,
             date_to: str, limit: int) -> list[dict]:
    """The list's rows having a name word in `first` and each word of `others`.

    The (treatment_date, updated_at, screening_id) of the matching token rows come out of the
    token index in the list's order, one stream per word, which the database merges (union
    of `first`'s words) and intersects (with each of `others`) as it reads them, stopping at
    `fetch` rows. Only those screenings are then read, by id, and filtered here (a filter in
    that query lets SQLite walk the status or outcome index instead); if the filters drop
    too many, the stream is read further."""
    fetch = limit
    while True:
        if dialect == "sqlite":
            keys = [r[2] for r in c.execute(*_stream_sqlite(first, others, date_from, date_to, fetch))]
        elif not others:
            keys = [r[2] for r in c.execute(*_stream_postgresql(first, others, date_from, date_to, fetch))]
        else:
            # PostgreSQL takes the order columns of two words' rows for independent, guesses
            # that they share almost no screening, and would read both words whole to hash and
            # sort them. The merge join is what reads least; the settings end with this statement.
            c.exec_driver_sql("SET LOCAL enable_hashjoin = off")
            c.exec_driver_sql("SET LOCAL enable_sort = off")
            keys = [r[2] for r in c.execute(*_stream_postgresql(first, others, date_from, date_to, fetch))]
            c.exec_driver_sql("SET LOCAL enable_hashjoin TO DEFAULT")
            c.exec_driver_sql("SET LOCAL enable_sort TO DEFAULT")
        ids = list(dict.fromkeys(keys))  # one screening, two words of the same prefix
        shown: list[dict] = []
        read = 0
        while len(shown) < limit and read < len(ids):  # only as many as are still missing
            chunk = ids[read:read + max(limit - len(shown), 50)]
            read += len(chunk)
            rows = {r["id"]: dict(r) for r in c.execute(_BY_ID, {"ids": chunk}).mappings()}
            shown.extend(rows[i] for i in chunk if i in rows and wanted(rows[i]))
        if len(shown) >= limit or len(keys) < fetch:
            return shown[:limit]
        fetch *= 2


def _arm_filter(date_from: str, date_to: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return ((f" AND {prefix}treatment_date >= :date_from" if date_from else "")
            + (f" AND {prefix}treatment_date <= :date_to" if date_to else ""))


def _stream_sqlite(first: list[str], others: list[str], date_from: str, date_to: str, fetch: int):
    """SQLite merges a compound SELECT whose parts come out of an index in order
    ("MERGE (UNION)", "MERGE (INTERSECT)" in its query plan), reading each only as far as
    the LIMIT needs."""
    params: dict = {"date_from": date_from, "date_to": date_to, "fetch": fetch}
    part = "SELECT treatment_date, updated_at, screening_id FROM name_tokens WHERE token = :{}" \
        + _arm_filter(date_from, date_to)
    parts = []
    for i, token in enumerate(first):
        params[f"f{i}"] = token
        parts.append(("UNION " if i else "") + part.format(f"f{i}"))
    for i, token in enumerate(others):
        params[f"o{i}"] = token
        parts.append("INTERSECT " + part.format(f"o{i}"))
    return text(" ".join(parts) + " ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT :fetch"), params


def _stream_postgresql(first: list[str], others: list[str], date_from: str, date_to: str, fetch: int):
    """PostgreSQL reads each word of `first` out of its index in order, joined to each other
    word by a merge join on the order columns ("Merge Join"), stopping at `fetch` rows; it
    does not merge a UNION ALL lazily (no "Merge Append" for it in 15), so the few arms'
    first rows (at most MERGE_WORDS x `fetch`) are sorted once more."""
    params: dict = {"date_from": date_from, "date_to": date_to, "fetch": fetch}
    on = " AND ".join(f"{{b}}.{col} = a.{col}" for col in ("treatment_date", "updated_at", "screening_id"))
    joins = ""
    for i, token in enumerate(others):
        params[f"o{i}"] = token
        joins += f" JOIN name_tokens o{i} ON {on.format(b=f'o{i}')} AND o{i}.token = :o{i}"
    order = " ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT :fetch"
    parts = []
    for i, token in enumerate(first):
        params[f"f{i}"] = token
        parts.append("(SELECT a.treatment_date, a.updated_at, a.screening_id FROM name_tokens a"
                     f"{joins} WHERE a.token = :f{i}{_arm_filter(date_from, date_to, 'a')}{order})")
    if len(parts) == 1:
        return text(parts[0][1:-1]), params
    return text(" UNION ALL ".join(parts) + order), params


def _prefix(dialect: str, column, word: str) -> list:
    # Byte order on PostgreSQL too (its "C" collation), as on SQLite, so the range means "begins with".
    col = column.collate("C") if dialect == "postgresql" else column
    return [col >= word, col < word + _TOP]


def _words_beginning(c, dialect: str, word: str) -> list[str]:
    """The distinct name words beginning with `word`, up to MERGE_WORDS + 1 of them, found by
    skipping through the token index (one seek each, however many screenings share a word)."""
    tok = 'token COLLATE "C"' if dialect == "postgresql" else "token"
    sql = text(
        "WITH RECURSIVE found(token, n) AS ("
        f" SELECT (SELECT token FROM name_tokens WHERE {tok} >= :lo AND {tok} < :hi ORDER BY {tok} LIMIT 1), 1"
        " UNION ALL"
        f" SELECT (SELECT token FROM name_tokens WHERE {tok} > found.token AND {tok} < :hi ORDER BY {tok} LIMIT 1),"
        " found.n + 1 FROM found WHERE found.token IS NOT NULL AND found.n <= :most"
        ") SELECT token FROM found WHERE token IS NOT NULL")
    return [r[0] for r in c.execute(sql, {"lo": word, "hi": word + _TOP, "most": MERGE_WORDS})]

