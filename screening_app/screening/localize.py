"""The content in the patient's language, and dates and numbers written their way (Babel).

`localized(content, language)` is the English content with the pack's words for what the
patient reads or hears: the questions, "why we ask", the follow-up prompts, the blood donation
advice and the checks' wording. Ids, rules, outcomes, reasons for clinicians, sources and
versions stay as they are, so a translation can never change how a patient is screened.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from ..wording import say
from .content_model import Content
from .languages import ENGLISH, LanguagePack, canonical_language, pack_for

_LOCALIZED: dict[tuple[str, str, int], Content] = {}


def localized(content: Content, language: str | None) -> Content:
    """`content` with the patient-facing words of `language` (English: `content` itself)."""
    code = canonical_language(language or ENGLISH) or ENGLISH
    if code == ENGLISH:
        return content
    key = (code, content.digest, id(content))
    if key in _LOCALIZED:
        return _LOCALIZED[key]
    pack = pack_for(code, content)
    words = pack.questionnaire.get("question", {})
    questions = []
    for q in content.questions:
        w = words[q.id]
        follow_ups = tuple(dataclasses.replace(fu, prompt=w["follow_up"][fu.id]["prompt"]) for fu in q.follow_ups)
        questions.append(dataclasses.replace(q, text=w["text"], rationale=w["rationale"], follow_ups=follow_ups))
    blood = pack.advice["advice"]["blood_donation"]
    checks = {cid: dataclasses.replace(c, text=pack.advice["checks"][cid]["text"]) for cid, c in content.checks.items()}
    out = dataclasses.replace(
        content, title=pack.questionnaire["questionnaire"]["title"], questions=tuple(questions), checks=checks,
        blood_donation=dataclasses.replace(content.blood_donation, text=blood["text"],
                                           donor_text=blood.get("donor_text", "")))
    _LOCALIZED[key] = out
    return out


def babel_locale(language: str | None) -> str:
    """Babel's locale for a language: the pack's `locale` (e.g. "es_US", "zh_Hans_CN")."""
    from .content import default_content
    code = canonical_language(language or ENGLISH) or ENGLISH
    return "en_US" if code == ENGLISH else pack_for(code, default_content()).locale


def format_day(day: dt.date, language: str | None) -> str:
    """A date as the patient reads it: ISO for English (as the sheet always printed it), the
    language's long form otherwise ("2 de abril de 1980", "1980年4月2日"), never ambiguous."""
    if (canonical_language(language or ENGLISH) or ENGLISH) == ENGLISH:
        return day.isoformat()
    from babel.dates import format_date  # Babel only when a date is written in another language
    return format_date(day, format="long", locale=babel_locale(language))


def format_moment(moment: dt.datetime, language: str | None) -> str:
    if (canonical_language(language or ENGLISH) or ENGLISH) == ENGLISH:
        return moment.strftime("%Y-%m-%d %H:%M")
    locale = babel_locale(language)
    from babel.dates import format_date, format_time
    return f"{format_date(moment.date(), format='long', locale=locale)} {format_time(moment, 'short', locale=locale)}"


def format_number(number: int | float, language: str | None) -> str:
    if (canonical_language(language or ENGLISH) or ENGLISH) == ENGLISH:
        return str(number)
    from babel.numbers import format_decimal
    return format_decimal(number, locale=babel_locale(language))


# --- the clinic's record of a translation review (a clinic setting) --------------------------------

# One review a line (or separated by ";"): LANGUAGE VERSION FINGERPRINT: who reviewed it, their
# qualification, the date.
# e.g. "es es-1.5.0-draft1 3F9A2C1B: Dr. Ana Ruiz, certified medical translator, 2026-12-01"
REVIEW_LINE = re.compile(r"(?P<code>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\s+(?P<version>\S+)\s+"
                         r"(?P<fingerprint>[0-9A-Fa-f]{8})\s*:\s*(?P<who>.+?)\s*,\s*(?P<date>\d{4}-\d{2}-\d{2})")
REVIEW_FORMAT = "LANGUAGE VERSION FINGERPRINT: reviewer and qualification, YYYY-MM-DD (several: separate with ;)"


def review_entries(text: str) -> list[dict[str, str]]:
    """The reviews recorded in the setting; ValueError naming the first line that is not one."""
    out = []
    for i, line in enumerate(re.split(r"[;\n]", text or ""), 1):
        if not line.strip():
            continue
        found = REVIEW_LINE.fullmatch(line.strip())
        if found is None:
            raise ValueError(say("screening.review_record.format", number=i, format=REVIEW_FORMAT))
        try:
            dt.date.fromisoformat(found["date"])
        except ValueError:
            raise ValueError(say("screening.review_record.date", number=i, date=found["date"])) from None
        out.append({k: found[k] for k in ("code", "version", "fingerprint", "who", "date")})
    return out


def review_problem(text: object) -> str | None:
    """Why `text` is not a list of translation reviews (None: it is one); the settings' check."""
    try:
        review_entries(str(text))
    except ValueError as exc:
        return str(exc)
    return None


def clinic_review(pack: LanguagePack, reviews_text: str) -> dict[str, str] | None:
    """The clinic's recorded review of this very pack (language, translation version and
    fingerprint all match), or None: a review of an earlier or edited pack does not carry over."""
    try:
        entries = review_entries(reviews_text)
    except ValueError:
        return None
    for entry in entries:
        if (entry["code"].lower() == pack.code.lower() and entry["version"] == pack.record.version
                and entry["fingerprint"].upper() == pack.fingerprint):
            return entry
    return None


def awaiting_review(pack: LanguagePack, reviews_text: str = "") -> bool:
    """True until a qualified reviewer signed the pack off, or the clinic recorded its review."""
    return not pack.record.signed_off and clinic_review(pack, reviews_text) is None
