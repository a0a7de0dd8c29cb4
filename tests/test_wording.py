"""The app's own words: every key the code asks for exists in English, every translation has
exactly English's keys and placeholders, and a translation missing a key falls back to English."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from screening_app import wording

PACKAGE = Path(wording.__file__).parent
LITERAL_KEY = re.compile(r"""\bsay\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def _keys_in_source() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "wording.py":  # its docstring shows an example key
            continue
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, path)
    return found


def _domains(language: str) -> dict[str, dict[str, str]]:
    folder = wording.locale_dir() / language / "LC_MESSAGES"
    return {p.stem: wording.catalogue(language, p.stem) for p in sorted(folder.glob("*.po"))}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_the_code_uses_exists_in_english():
    missing = {key: str(path.relative_to(PACKAGE)) for key, path in _keys_in_source().items()
               if not wording.has(key)}
    assert not missing, f"keys used in code but missing from resources/locale/en: {missing}"


def test_keys_live_in_the_file_their_prefix_names():
    for domain, entries in _domains("en").items():
        wrong = [key for key in entries if key.split(".", 1)[0] != domain]
        assert not wrong, f"{domain}.po holds keys of another catalogue: {wrong}"


@pytest.mark.parametrize("language", [lang for lang in wording.languages() if lang != "en"])
def test_translations_have_exactly_the_english_keys_and_placeholders(language):
    english, other = _domains("en"), _domains(language)
    assert set(other) == set(english), f"{language}: catalogue files differ from English"
    for domain, entries in english.items():
        theirs = other[domain]
        assert set(theirs) == set(entries), (
            f"{language}/{domain}.po: missing {sorted(set(entries) - set(theirs))}, "
            f"extra {sorted(set(theirs) - set(entries))}")
        for key, text in entries.items():
            assert _fields(theirs[key]) == _fields(text), f"{language} {key}: placeholders differ"


def test_a_translation_without_a_key_falls_back_to_english(tmp_path, monkeypatch):
    for lang, text in (("en", "Save"), ("xx", None)):
        folder = tmp_path / "locale" / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        body = f'msgid "t.save"\nmsgstr "{text}"\n' if text else ""
        (folder / "t.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                     + body, encoding="utf-8")
    monkeypatch.setenv("SCREENING_APP_RESOURCES", str(tmp_path))
    wording.clear_cache()
    try:
        assert wording.say("t.save", language="xx") == "Save"
        with pytest.raises(wording.MissingWording):
            wording.say("t.nothing", language="xx")
    finally:
        wording.clear_cache()


def test_keys_built_from_tables_exist():
    """Tables keep a key and resolve their words when asked (so the language is not fixed at
    import): each row's words must exist, which the literal-key check above cannot see."""
    from screening_app.screening.product import PRODUCT_FIELDS, VALUE_TYPES
    for f in PRODUCT_FIELDS:
        assert f.label and f.how and f.staff_message(), f.key
    for t in VALUE_TYPES.values():
        assert t.hint, t.name
    from screening_app.screening.model import Answer, Outcome, Procedure, Route
    for enum in (Answer, Route, Procedure, Outcome):
        for member in enum:
            assert member.label, member
    from screening_app.records.settings import SETTINGS
    for setting in SETTINGS:
        assert setting.label and "{" not in setting.label, setting.name
    from screening_app.records.accounts import ALL_ROLES, ROLE_LABELS
    assert [ROLE_LABELS[role] for role in ALL_ROLES] == ["Front desk", "Clinician", "Admin"]


def test_every_call_fills_exactly_the_placeholders_of_its_text():
    """A placeholder the call does not fill would raise when the message is shown (often on an
    error path no other test reaches); a field the text lacks is a word lost on the way."""
    import ast
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            if any(k.arg is None for k in node.keywords) or not wording.has(node.args[0].value):
                continue  # **fields, or a missing key (the test above names it)
            given = {k.arg for k in node.keywords if k.arg != "language"}
            wanted = _fields(wording.say(node.args[0].value, language="en"))
            if given and given != wanted:
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.args[0].value}: "
                             f"gives {sorted(given)}, the text has {sorted(wanted)}")
    assert not wrong, wrong


def test_a_catalogue_read_once_is_kept_and_an_edited_one_read_afresh(tmp_path, monkeypatch):
    """The JSON kept of a catalogue (so a start need not import Babel) is named by the .po's
    bytes: a clinic that edits a word sees the new word, never the kept one."""
    folder = tmp_path / "res" / "locale" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "t.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "t.save"\nmsgstr "Save"\n', encoding="utf-8")
    monkeypatch.setenv("SCREENING_APP_RESOURCES", str(tmp_path / "res"))
    monkeypatch.setenv("SCREENING_APP_HOME", str(tmp_path / "home"))
    wording.clear_cache()
    try:
        assert wording.say("t.save", language="en") == "Save"
        kept = list((tmp_path / "home" / "cache" / "wording").glob("*.json"))
        assert len(kept) == 1
        wording.clear_cache()
        assert wording.say("t.save", language="en") == "Save"  # from what was kept
        po.write_text(po.read_text(encoding="utf-8").replace('"Save"', '"Keep"'), encoding="utf-8")
        wording.clear_cache()
        assert wording.say("t.save", language="en") == "Keep"
    finally:
        wording.clear_cache()
