"""`screen` and `questions`: a screening file in, the outcome out (and the patient sheet with --pdf)."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from .. import paths
from ..screening import InputRefused, Problem, default_content, read_screening, screen_for_clinic
from ..screening.consent import SheetKind, sheet_kind
from ..screening.history import finding_title
from ..screening.model import Outcome, Screening, ScreeningResult
from ..wording import say
from .parser import EXIT_INTERNAL, EXIT_OK


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise InputRefused([Problem(name, say("cli.file.missing"))]) from None
    except IsADirectoryError:
        raise InputRefused([Problem(name, say("cli.file.folder"))]) from None
    except OSError as exc:
        raise InputRefused([Problem(name, say("cli.file.unreadable", reason=exc.strerror))]) from None


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=88, initial_indent=indent, subsequent_indent=indent)


def sheet_words(kind: SheetKind) -> str:
    """What the summary says about the sheet this screening may print."""
    return {
        SheetKind.CONSENT: say("cli.sheet.consent"),
        SheetKind.DO_NOT_TREAT: say("cli.sheet.do_not_treat"),
        SheetKind.DEFERRED: say("cli.sheet.deferred"),
        SheetKind.AWAITING_REVIEW: say("cli.sheet.awaiting_review"),
        SheetKind.LOT_NOT_CHECKED: say("cli.sheet.lot_not_checked"),
        SheetKind.LOT_NOT_VERIFIED: say("cli.sheet.lot_not_verified"),
        SheetKind.DECLINED: say("cli.sheet.declined"),
    }[kind]


def screening_json(screening: Screening, result: ScreeningResult) -> dict:
    """The `--json` object: contract.md, with the second edition's `sheet_kind`."""
    out = result.to_json()
    out["sheet_kind"] = sheet_kind(result, screening.review, screening.declined).value
    return out


def summary(screening: Screening, result: ScreeningResult) -> str:
    content = default_content()
    p, t = screening.patient, screening.treatment
    lines = [say("cli.summary.outcome", outcome=result.outcome.label.upper()),
             say("cli.summary.patient", name=p.name, born=p.date_of_birth.isoformat())
             + (say("cli.summary.patient_id", patient_id=p.patient_id) if p.patient_id else ""),
             say("cli.summary.treatment", route=t.route.value)
             + (say("cli.summary.after", procedure=t.procedure.value) if t.procedure.value != "none" else "")
             + (f", {t.area}" if t.area else "") + f", {t.date.isoformat()}"]
    if result.findings:
        lines.append(say("cli.summary.findings"))
        for f in result.findings:
            asked = f.question in content.question_ids
            answer = f.answer.label if f.answer else (say("cli.summary.not_answered") if asked else "")
            lines.append(f"  [{f.outcome.label}] {f.question}" + (f": {answer}" if answer else ""))
            lines.append(_wrap(say("cli.summary.about", title=finding_title(content, f.question)), "      "))
            lines.append(_wrap(say("cli.summary.why", reason=f.reason), "      "))
            lines.append(_wrap(say("cli.summary.source", source=f.source), "      "))
            for ref in f.references:
                lines.append("      " + say("cli.summary.look_up", url=ref.url))
    else:
        lines.append(say("cli.summary.no_findings"))
    if result.outcome is Outcome.DO_NOT_TREAT:
        lines.append(say("cli.summary.no_consent"))
    for a in result.advice:
        lines.append(_wrap(say("cli.summary.advice", topic=a.topic.replace("_", " "), text=a.text), "")
                     .replace("\n", "\n  "))
    if result.product is not None:
        lot = result.product.lot or say("cli.summary.no_lot")
        lines.append(say("cli.summary.lot", lot=lot, status=result.product.status.replace("_", " ")))
        for problem in result.product.problems:
            lines.append(f"  - {problem}")
    lines.append(say("cli.summary.sheet", sheet=sheet_words(sheet_kind(result, screening.review, screening.declined))))
    lines.append(say("cli.summary.versions", questionnaire=result.questionnaire_version, rules=result.rules_version))
    return "\n".join(lines)


def _check_pdf_target(name: str) -> Path:
    path = Path(name)
    if path.is_dir():
        raise InputRefused([Problem("--pdf", say("cli.pdf.folder", name=name))])
    if not path.resolve().parent.is_dir():
        raise InputRefused([Problem("--pdf", say("cli.pdf.no_folder", folder=path.resolve().parent))])
    return path


def _workstation_context(screening: Screening):
    """The clinic's settings and the patient's earlier screenings from this workstation's
    store, when it has one it can read; else defaults and no history. An unreadable store
    never stops `screen`: it says so on stderr (no patient data) and screens without it."""
    from ..records.settings import ClinicSettings
    from ..records.store import DB_NAME, Store, configured_url
    if configured_url() is None and not (paths.data_dir() / DB_NAME).exists():
        return ClinicSettings(), (), ()
    try:
        store = Store.open(read_only=True)  # `screen` only reads: it never migrates or creates
        try:
            p = screening.patient
            return store.settings(), tuple(store.earlier_screenings(
                name=p.name, date_of_birth=p.date_of_birth.isoformat(), patient_id=p.patient_id or "")), \
                tuple(store.recalled_lots())
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - a broken store must never stop a screening
        kind = getattr(exc, "kind", type(exc).__name__)
        print(say("cli.screen.store_unreadable", kind=kind), file=sys.stderr)
        from ..screening.history import HISTORY_UNAVAILABLE
        return ClinicSettings(), HISTORY_UNAVAILABLE, ()


def sheet_clinic(settings, screening: Screening):
    """The clinic printed on the sheet: the workstation's settings when they name the clinic and its
    phone, else the screening file's `clinic` section; refused when neither does (the patient's
    sheet must say whom to call). One source is used whole, never a mix of two clinics."""
    from ..sheets import clinic_from, clinic_from_file
    clinic = clinic_from(settings, screening)
    if clinic.can_print:
        return clinic
    if screening.clinic is not None:  # name what the file's clinic section lacks
        clinic = clinic_from_file(screening.clinic)
    why = say("cli.pdf.whom_to_call")
    raise InputRefused([Problem(f"clinic.{key}", say("cli.pdf.clinic_missing", why=why))
                        for key in ("name", "phone") if not getattr(clinic, key)])


def cmd_screen(args) -> int:
    pdf_target = _check_pdf_target(args.pdf) if args.pdf else None
    screening = read_screening(_read_input(args.file))
    settings, history, recalled = _workstation_context(screening)
    if pdf_target is not None:
        from ..screening.consent import review_problems
        from ..sheets import render  # only when asked: keeps plain screening quick
        result = screen_for_clinic(screening, settings=settings, history=history, recalled_lots=recalled)
        refused = review_problems(result, screening.review)
        kind = sheet_kind(result, screening.review)
        if screening.declined is not None and kind is not SheetKind.CONSENT:
            refused.append(Problem("declined", say("cli.screen.declined_not_offered",
                                                   sheet=kind.value.replace("_", " "))))
        try:
            clinic = sheet_clinic(settings, screening)  # no sheet without a clinic to call
        except InputRefused as exc:
            refused += exc.found
        if refused:
            raise InputRefused(refused)
        made = render(screening, settings=settings, history=history, clinic=clinic, recalled=recalled)
        result = made.result
        try:
            paths.write_atomically(pdf_target, made.pdf)
        except OSError as exc:
            print(say("cli.pdf.cannot_write", name=args.pdf, reason=exc.strerror or exc), file=sys.stderr)
            return EXIT_INTERNAL
    else:
        result = screen_for_clinic(screening, settings=settings, history=history, recalled_lots=recalled)
    if args.json:
        print(json.dumps(screening_json(screening, result), ensure_ascii=False, indent=2))
    else:
        print(summary(screening, result))
    return EXIT_OK


def cmd_questions(args) -> int:
    from ..screening.languages import canonical_language, language_problem, pack_for
    from ..screening.localize import localized
    language = canonical_language(args.language)
    if language is None:
        raise InputRefused([Problem("--language", language_problem(args.language) or "")])
    content = localized(default_content(), language)
    if args.json:
        print(json.dumps({
            "questionnaire_version": content.questionnaire_version,
            "language": language,
            "questions": [{"id": q.id, "text": q.text, "required": q.required} for q in content.questions],
        }, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(say("cli.questions.title", title=content.title, version=content.questionnaire_version,
              effective=content.questionnaire_effective.isoformat()))
    if language != "en":  # whoever reads it aloud knows whether the translation was reviewed
        pack = pack_for(language, default_content())
        print(say("languages.cli_signed_off" if pack.record.signed_off else "languages.cli_awaiting",
                  version=pack.record.version, fingerprint=pack.fingerprint, reviewer=pack.record.reviewer))
    for i, q in enumerate(content.questions, 1):
        flag = say("cli.questions.required") if q.required else say("cli.questions.optional")
        print(f"{i:2}. {q.id} ({flag})")
        print(_wrap(q.text, "    "))
    return EXIT_OK
