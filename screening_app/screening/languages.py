"""Language packs: the patient's words in another language, as data in `resources/lang/<code>/`.

A pack translates the English content of one release, key for key:
  pack.toml           the language, the English versions it translates, and the record of its
                      translation (translator, back-translator, reviewer, dates, version)
  questionnaire.toml  each question's wording, "why we ask" and follow-up prompts, by question id
  advice.toml         the blood donation advice and the wording of the checks (e.g. the minor check)
  sheet.toml          every text of every sheet kind, in the same structure as resources/sheet.toml

Loading is strict, like the questionnaire's: a pack with a missing or an extra key, a text
whose {placeholders} differ from the English, or a pack made for other English versions is
refused (ContentError), each problem naming the file and the key. What is not words (ids,
references, answers, versions) always comes from English, so a pack cannot change a rule.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..resources import resource_path
from .content_model import Content, ContentError

ENGLISH = "en"
PACKS_DIR = "lang"
PACK_FILES = ("questionnaire.toml", "advice.toml", "sheet.toml")
# Keys of the English files that are not words: they are never translated and never in a pack.
NOT_WORDS = frozenset({"references", "then", "version", "effective_date", "id", "when", "required"})
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
RECORD_FIELDS = ("version", "translator", "translated_on", "back_translator", "back_translated_on",
                 "reviewer", "reviewed_on", "reviewer_qualified", "method")


@dataclass(frozen=True)
class TranslationRecord:
    """Who made a translation and who checked it (after ISPOR's method: forward translation,
    back-translation, review). A pack is trusted only when a qualified reviewer signed it off
    here, or the clinic's admin recorded a review of this very pack in the settings."""

    version: str
    translator: str
    translated_on: dt.date | None
    back_translator: str
    back_translated_on: dt.date | None
    reviewer: str
    reviewed_on: dt.date | None
    reviewer_qualified: bool
    method: str

    @property
    def signed_off(self) -> bool:
        return bool(self.reviewer_qualified and self.reviewer.strip() and self.reviewed_on)


@dataclass(frozen=True)
class LanguagePack:
    code: str                  # BCP 47: "es", "zh-Hans"
    name: str                  # in the language itself: "Español", "简体中文"
    english_name: str          # "Spanish"
    locale: str                # Babel's locale for dates and numbers: "es", "zh_Hans_CN"
    line_breaks: str           # "words" (break at spaces) or "cjk" (between characters)
    questionnaire_version: str
    rules_version: str
    sheet_version: str
    record: TranslationRecord
    questionnaire: dict        # {"questionnaire": {"title"}, "question": {id: {...}}}
    advice: dict               # {"advice": {"blood_donation": {...}}, "checks": {...}}
    sheet: dict                # the whole sheet, English structure with this language's words
    fingerprint: str           # the SHA-256 of the pack's words, first 8 hex digits (for the admin)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.english_name})"


def packs_dir() -> Path:
    return resource_path(PACKS_DIR)


def available_languages() -> tuple[str, ...]:
    """English, then every installed pack (a folder of resources/lang with a pack.toml); read once
    per resources folder (intake asks on every evaluation of a draft)."""
    return _installed(str(packs_dir()))


@lru_cache(maxsize=4)
def _installed(folder: str) -> tuple[str, ...]:
    base = Path(folder)
    found = sorted(p.name for p in base.iterdir() if (p / "pack.toml").is_file()) if base.is_dir() else []
    return (ENGLISH, *[code for code in found if code != ENGLISH])


def canonical_language(value: object) -> str | None:
    """The installed language `value` names (case aside: "zh-hans" is "zh-Hans"), or None."""
    if not isinstance(value, str):
        return None
    wanted = value.strip().replace("_", "-").lower()
    return next((code for code in available_languages() if code.lower() == wanted), None)


def language_problem(value: object) -> str | None:
    """Why `value` is not a language a screening may be in (None: it is one)."""
    if not isinstance(value, str):
        return "must be a language code as text, such as \"es\""
    if canonical_language(value) is None:
        return f"{value[:20]!r} is not an installed language (installed: {', '.join(available_languages())})"
    return None


# --- reading a pack -------------------------------------------------------------------------------

def _read(path: Path, where: str, problems: list[str]) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(f"{where}: file not found")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{where}: not valid TOML ({exc})")
    except OSError as exc:
        problems.append(f"{where}: cannot be read ({exc.strerror})")
    return {}


def words(node: object, prefix: str = "") -> dict[str, str]:
    """{key path: text} of every translatable text in a TOML tree: tables by name, lists by index,
    e.g. `consent.section[2].items[0].text`; keys in NOT_WORDS are left out."""
    out: dict[str, str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key in NOT_WORDS:
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(words(value, name))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.update(words(value, f"{prefix}[{i}]"))
    elif isinstance(node, str):
        out[prefix] = node
    else:
        out[prefix] = repr(node)  # a number or date where words belong: reported by the parity check
    return out


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"(unbalanced braces)"}


def parity_problems(english: dict[str, str], translated: dict[str, str], where: str) -> list[str]:
    """Missing keys, extra keys, empty texts and changed {placeholders}, each naming the key."""
    problems = [f"{where}: {key}: missing (English has it: {english[key][:60]!r})"
                for key in english if key not in translated]
    problems += [f"{where}: {key}: not a key of the English text (a typo, or left from an older version)"
                 for key in translated if key not in english]
    for key in english.keys() & translated.keys():
        text = translated[key]
        if not text.strip():
            problems.append(f"{where}: {key}: empty")
        elif _fields(text) != _fields(english[key]):
            problems.append(f"{where}: {key}: placeholders {sorted(_fields(text))} differ from the English "
                            f"{sorted(_fields(english[key]))}")
    return problems


def english_questionnaire_words(content: Content) -> dict:
    """The English questionnaire as a pack would hold it, keyed by question and follow-up id."""
    questions: dict[str, dict] = {}
    for q in content.questions:
        entry: dict = {"text": q.text, "rationale": q.rationale}
        if q.follow_ups:
            entry["follow_up"] = {fu.id: {"prompt": fu.prompt} for fu in q.follow_ups}
        questions[q.id] = entry
    return {"questionnaire": {"title": content.title}, "question": questions}


def english_advice_words(content: Content) -> dict:
    blood = {"text": content.blood_donation.text}
    if content.blood_donation.donor_text:
        blood["donor_text"] = content.blood_donation.donor_text
    return {"advice": {"blood_donation": blood}, "checks": {cid: {"text": c.text} for cid, c in content.checks.items()}}


def english_sheet() -> dict:
    problems: list[str] = []
    data = _read(resource_path("sheet.toml"), "sheet.toml", problems)
    if problems:
        raise ContentError(problems)
    return data


def merge(english: dict | list, translated: dict[str, str], prefix: str = ""):
    """The English tree with each text replaced by the translation at the same key path."""
    if isinstance(english, dict):
        return {k: (v if k in NOT_WORDS else merge(v, translated, f"{prefix}.{k}" if prefix else k))
                for k, v in english.items()}
    if isinstance(english, list):
        return [merge(v, translated, f"{prefix}[{i}]") for i, v in enumerate(english)]
    return translated.get(prefix, english) if isinstance(english, str) else english


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return None


def _record(raw: object, where: str, problems: list[str]) -> TranslationRecord:
    table = raw if isinstance(raw, dict) else {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: translation: missing (who translated, back-translated and reviewed it)")
    for extra in sorted(set(table) - set(RECORD_FIELDS)):
        problems.append(f"{where}: translation.{extra}: not a field of the record ({', '.join(RECORD_FIELDS)})")
    for key in ("version", "translator", "method"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            problems.append(f"{where}: translation.{key}: must be non-empty text")
    for key in ("translated_on", "back_translated_on", "reviewed_on"):
        if key in table and _date(table[key]) is None:
            problems.append(f"{where}: translation.{key}: must be a date (YYYY-MM-DD), or left out")
    qualified = table.get("reviewer_qualified", False)
    if not isinstance(qualified, bool):
        problems.append(f"{where}: translation.reviewer_qualified: must be true or false")
        qualified = False
    return TranslationRecord(
        str(table.get("version", "")), str(table.get("translator", "")), _date(table.get("translated_on")),
        str(table.get("back_translator", "")), _date(table.get("back_translated_on")),
        str(table.get("reviewer", "")), _date(table.get("reviewed_on")), qualified, str(table.get("method", "")))


def _head(meta: dict, where: str, code: str, content: Content, sheet_version: str, problems: list[str]) -> dict:
    raw = meta.get("pack")
    pack: dict = raw if isinstance(raw, dict) else {}
    if not pack:
        problems.append(f"{where}: pack: missing")
    for key in ("language", "name", "english_name", "locale", "questionnaire", "rules", "sheet"):
        if not isinstance(pack.get(key), str) or not pack[key].strip():
            problems.append(f"{where}: pack.{key}: must be non-empty text")
    if pack.get("language") not in (None, code):
        problems.append(f"{where}: pack.language: says {pack['language']!r}, but the pack is in the folder {code!r}")
    if pack.get("line_breaks", "words") not in ("words", "cjk"):
        problems.append(f"{where}: pack.line_breaks: must be \"words\" or \"cjk\"")
    english = {"questionnaire": content.questionnaire_version, "rules": content.rules_version,
               "sheet": sheet_version}
    for key, version in english.items():
        said = pack.get(key)
        if isinstance(said, str) and said != version:
            problems.append(f"{where}: pack.{key}: translates {key} {said}, but the English {key} is {version}; "
                            f"the translation must be brought up to {version} (same keys, same version)")
    return pack


def load_pack(code: str, content: Content, directory: Path | None = None) -> LanguagePack:
    """Reads and checks the pack for `code` against `content` (the English questionnaire and rules
    in use) and the English sheet; raises ContentError naming every problem."""
    base = directory or (packs_dir() / code)
    problems: list[str] = []
    rel = f"{PACKS_DIR}/{code}"
    meta = _read(base / "pack.toml", f"{rel}/pack.toml", problems)
    files = {name: _read(base / name, f"{rel}/{name}", problems) for name in PACK_FILES}
    if problems:
        raise ContentError(problems)
    en_sheet = english_sheet()
    sheet_version = str(en_sheet.get("sheet", {}).get("version", ""))
    head = _head(meta, f"{rel}/pack.toml", code, content, sheet_version, problems)
    record = _record(meta.get("translation"), f"{rel}/pack.toml", problems)
    for extra in sorted(set(meta) - {"pack", "translation"}):
        problems.append(f"{rel}/pack.toml: {extra}: not a table of pack.toml (pack, translation)")
    english = {"questionnaire.toml": english_questionnaire_words(content),
               "advice.toml": english_advice_words(content),
               "sheet.toml": en_sheet}
    translated = {name: words(files[name]) for name in PACK_FILES}
    for name in PACK_FILES:
        problems += parity_problems(words(english[name]), translated[name], f"{rel}/{name}")
    if problems:
        raise ContentError(problems)
    digest = hashlib.sha256(json.dumps(translated, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return LanguagePack(
        code=code, name=head["name"], english_name=head["english_name"], locale=head["locale"],
        line_breaks=head.get("line_breaks", "words"), questionnaire_version=head["questionnaire"],
        rules_version=head["rules"], sheet_version=head["sheet"], record=record,
        questionnaire=files["questionnaire.toml"], advice=files["advice.toml"],
        sheet=merge(en_sheet, translated["sheet.toml"]), fingerprint=digest[:8].upper())


_PACKS: dict[tuple[str, str, str], LanguagePack] = {}


def pack_for(code: str, content: Content) -> LanguagePack:
    """The checked pack for an installed language (cached per English content)."""
    found = canonical_language(code)
    if found is None or found == ENGLISH:
        raise ContentError([f"language: {code!r} has no language pack (installed: {', '.join(available_languages())})"])
    key = (found, content.digest, str(resource_path(PACKS_DIR)))
    if key not in _PACKS:
        _PACKS[key] = load_pack(found, content)
    return _PACKS[key]


def clear_cache() -> None:
    _PACKS.clear()
    _installed.cache_clear()
