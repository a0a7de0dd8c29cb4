"""Every staff-facing sentence and label, by key, from gettext catalogues in `resources/locale/`.

Why gettext: translators and clinics edit `.po` files with standard tools (Poedit, Weblate),
and Babel reads them at run time with their plural rules, so no compile step is needed and a
clinic's own copy of `resources/` can change a word without touching Python.

The catalogues are keyed ("monolingual" gettext): a msgid is a stable key such as
`wizard.intake.title`, and the English catalogue holds the English text. The part of the key
before the first dot names the catalogue file (`wizard.po`), so each part of the app keeps its
own file. Placeholders use `str.format` names: `say("desk.saved_at", time="10:42")`.

`say` falls back to English for a key a translation lacks (a clinic sees English, never a bare
key), and to the shipped English when a clinic's copy of `resources/` lacks the catalogue (so the
message that says their copy is broken can still be printed); a key missing from English is a
programming error and raises, which the key check in the tests catches for every literal key in
the source.
"""
from __future__ import annotations

import hashlib
import io
import json
import threading
from functools import cache
from pathlib import Path

from . import paths
from .resources import resource_dir, shipped_resource_dir

SOURCE_LANGUAGE = "en"
_state = threading.local()
_default_language = SOURCE_LANGUAGE


class MissingWording(KeyError):
    """A key that the English catalogue does not have: a programming error, never user input."""


def locale_dir() -> Path:
    return resource_dir() / "locale"


def set_language(language: str) -> None:
    """The language of the app's own words for this process (the workstation's setting)."""
    global _default_language
    _default_language = language or SOURCE_LANGUAGE


def current_language() -> str:
    return getattr(_state, "language", None) or _default_language


def languages() -> list[str]:
    """Languages with a catalogue folder, English first."""
    found = sorted(p.name for p in locale_dir().iterdir() if (p / "LC_MESSAGES").is_dir())
    return [SOURCE_LANGUAGE] + [lang for lang in found if lang != SOURCE_LANGUAGE]


@cache
def catalogue(language: str, domain: str, directory: str | None = None) -> dict[str, str]:
    """{key: text} of one `.po` file; empty when the language has no such file."""
    base = Path(directory) if directory else locale_dir()
    path = base / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    # Babel takes ~90 ms to import (it loads the email package to read a catalogue's header),
    # which every start paid before its first window: a catalogue read once is kept as JSON,
    # named by the digest of the .po file's bytes (an edited catalogue is read afresh).
    cached = _cache_dir() / f"{hashlib.sha256(raw + language.encode()).hexdigest()[:32]}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    from babel.messages.pofile import read_po
    po = read_po(io.BytesIO(raw), locale=None if language == SOURCE_LANGUAGE else language.replace("-", "_"))
    entries = {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}
    try:
        paths.ensure_private_dir(cached.parent)
        paths.write_atomically(cached, json.dumps(entries, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a read-only data folder: read the .po each time
    return entries


def _cache_dir() -> Path:
    return paths.cache_dir() / "wording"


def has(key: str) -> bool:
    domain = key.split(".", 1)[0]
    return key in catalogue(SOURCE_LANGUAGE, domain)


def say(key: str, /, language: str | None = None, **fields: object) -> str:
    """The text for `key` in `language` (default: the app's language), with `fields` filled in."""
    domain = key.split(".", 1)[0]
    lang = language or current_language()
    text = catalogue(lang, domain).get(key) if lang != SOURCE_LANGUAGE else None
    if text is None:
        text = catalogue(SOURCE_LANGUAGE, domain).get(key)
    if text is None:  # a clinic's copy of resources/ without the app's words: the shipped English
        text = catalogue(SOURCE_LANGUAGE, domain, str(shipped_resource_dir() / "locale")).get(key)
    if text is None:
        raise MissingWording(key)
    return text.format(**fields) if fields else text


def clear_cache() -> None:
    """For tests and for a clinic that edits its resources while the app runs."""
    catalogue.cache_clear()
