"""The search list: screenings by name words, birth date, treatment dates and outcome.

The list shows at most `limit` rows (200 in the app), newest treatment date first, then the
latest change, then the id. Every search reads them out of an index already in that order
and stops once it has them, so its cost follows the rows shown, not the rows matched
(migration 0006 made the indexes):

- with name words and no birth date, each word is a prefix of some folded word of the name
  (records/identity.py). One word drives: the few distinct name words it is a prefix of
  are read each from (token, treatment_date, updated_at, screening_id) and merged in order
  (a UNION ALL the database merges lazily); the other words and filters are checked on the
  way. A prefix standing for more than MERGE_WORDS distinct words (one or two letters)
  reads all its matches instead, as before 0006.
- otherwise the screenings' own indexes ending in the list's order drive: birth date, or
  outcome, or the treatment dates; name words, if any, are checked on the way.
"""
from __future__ import annotations

from sqlalchemy import exists, intersect, literal_column, select, text, union_all

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
    driver = min(words, key=lambda w: (len(found[w]), -len(w))) if words else ""
    wide = bool(driver) and len(found[driver]) > MERGE_WORDS
    if driver and not wide and not date_of_birth:
        filters = _filters(dialect, [w for w in words if w != driver], date_of_birth, outcome, include_unfinished)
        fetch = limit
        while True:
            rows = _by_name(c, found[driver], filters, date_from, date_to, fetch)
            shown = list({r["id"]: r for r in rows}.values())  # one screening, two words of the prefix
            if len(shown) >= limit or len(rows) < fetch:
                return shown[:limit]
            fetch *= 2
    query = select(*_columns(_s))
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


def _columns(order_from):
    """The list's columns; the three it is sorted by come from `order_from` (screenings or
    name_tokens, whose index hands them out in order)."""
    key = order_from.c.screening_id if order_from is _n else _s.c.id
    return (key.label("id"), _s.c.status, _s.c.patient_name, _s.c.date_of_birth,
            order_from.c.treatment_date.label("treatment_date"), _s.c.outcome,
            order_from.c.updated_at.label("updated_at"), _s.c.amends)


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
        out.append(exists().where(other.c.screening_id == _s.c.id, *_prefix(dialect, other.c.token, w)))
    return out


def _by_name(c, tokens: list[str], filters: list, date_from: str, date_to: str, limit: int) -> list[dict]:
    """The first `limit` rows having one of `tokens`: each token's rows come out of its index
    in order, and the database merges them, reading only as far as it needs."""
    arms = []
    for token in tokens:
        arm = (select(*_columns(_n)).select_from(_n.join(_s, _s.c.id == _n.c.screening_id))
               .where(_n.c.token == token, *filters))
        if date_from:
            arm = arm.where(_n.c.treatment_date >= date_from)
        if date_to:
            arm = arm.where(_n.c.treatment_date <= date_to)
        arms.append(arm)
    order = [literal_column(col).desc() for col in ("treatment_date", "updated_at", "id")]
    if len(arms) == 1:
        query = arms[0].order_by(_n.c.treatment_date.desc(), _n.c.updated_at.desc(), _n.c.screening_id.desc())
    else:
        query = union_all(*arms).order_by(*order)
    return [dict(r) for r in c.execute(query.limit(limit)).mappings()]


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

