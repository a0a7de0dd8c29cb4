"""The headless commands of contract.md: `screen` and `questions`.

Exit status: 0 screened (whatever the outcome), 2 input refused (one line per problem
on stderr, each naming the field; nothing written), 1 internal error. Never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

from . import paths
from .records import StoreError
from .screening import ContentError, InputRefused, default_content, read_screening, screen_for_clinic
from .screening.consent import SheetKind, sheet_kind
from .screening.history import finding_title
from .screening.model import Outcome, Screening, ScreeningResult

EXIT_OK, EXIT_INTERNAL, EXIT_REFUSED = 0, 1, 2
COMMANDS = ("screen", "questions", "audit", "export", "store", "lookback", "recall")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code is 2 as well; keep its one-line style
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_REFUSED)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="screening-app", description="Exosome therapy screening assistant.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_screen = sub.add_parser("screen", help="screen one screening file")
    p_screen.add_argument("file", help="screening file (JSON); - reads standard input")
    p_screen.add_argument("--json", action="store_true", help="print one JSON object")
    p_screen.add_argument("--pdf", metavar="OUT.pdf", help="also write the patient sheet")
    p_q = sub.add_parser("questions", help="print the current questionnaire")
    p_q.add_argument("--json", action="store_true", help="print one JSON object")
    p_q.add_argument("--language", default="en", help="the wording in this installed language (e.g. es, zh-Hans)")
    user_help = ("the staff member running the command; the password comes from SCREENING_APP_PASSWORD "
                 "or is asked for at the terminal, never on the command line")
    p_audit = sub.add_parser("audit", help="check the audit trail of this workstation's store")
    p_audit.add_argument("action", choices=["verify", "accept-restore"],
                         help="verify: check the trail and every record; accept-restore: after restoring a "
                              "backup on purpose, record it (admin) so this workstation anchors the restored trail")
    p_audit.add_argument("--reason", default="", help="accept-restore: why the backup was restored")
    p_audit.add_argument("--user", metavar="NAME", help=user_help)
    p_audit.add_argument("--fingerprint", action="append", default=[], metavar="MARK",
                         help="a trail fingerprint from a printed sheet (e.g. 57-3F9A2C1B): must be in the trail")
    p_store = sub.add_parser("store", help="move the records to another store, or update a server's tables")
    p_store.add_argument("action", choices=["copy", "migrate"])
    p_store.add_argument("--from", dest="source", metavar="URL",
                         help="copy: postgresql://… or sqlite:///path/screenings.sqlite3")
    p_store.add_argument("--to", dest="target", metavar="URL", help="copy: an empty store")
    p_store.add_argument("--user", metavar="NAME", help=user_help + " (copy: an admin of --from)")
    p_store.add_argument("--grant-to", metavar="ROLE", help="migrate: the workstation login to give exactly "
                         "the table rights it needs (scripts/postgres-roles.sql creates it)")
    p_export = sub.add_parser("export", help="export finished screenings")
    p_export.add_argument("--fhir", nargs="?", const="", metavar="SCREENING_ID",
                          help="one finished screening as a FHIR R4 Bundle; without an id, with --from/--to, "
                               "every finished screening in that range as one collection Bundle of Bundles")
    p_export.add_argument("--csv", action="store_true", help="the list of screenings as CSV")
    p_export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="treatment dates from this day on")
    p_export.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="treatment dates up to this day")
    p_export.add_argument("--user", metavar="NAME", help=user_help)
    p_look = sub.add_parser("lookback", help="every patient who received a lot (a call list once it is recalled)")
    p_look.add_argument("--lot", required=True, help="the lot number")
    p_look.add_argument("--user", metavar="NAME", help=user_help)
    p_look.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p_recall = sub.add_parser("recall", help="mark a lot recalled (admin): it never verifies again")
    p_recall.add_argument("--lot", required=True, help="the lot number")
    p_recall.add_argument("--reason", required=True, help="why the lot is recalled")
    p_recall.add_argument("--user", metavar="NAME", help=user_help + " (an admin)")
    return parser


PASSWORD_ENV = "SCREENING_APP_PASSWORD"


def _sign_in(store, args, permission: str, what: str):
    """The staff member a record command runs as; exit 2 (InputRefused) without a valid sign-in.
    The sign-in itself is audited (signed_in / sign_in_failed) by the store."""
    if not args.user:
        raise InputRefused(["--user: record commands run as a staff member: give --user NAME "
                            f"(the password from {PASSWORD_ENV} or the terminal)"])
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise InputRefused([f"password: set {PASSWORD_ENV} or run the command at a terminal to be asked"])
        import getpass
        password = getpass.getpass(f"Password for {args.user}: ")
    try:
        staff = store.authenticate(args.user, password)
    except StoreError as exc:
        if exc.kind == "locked":
            raise InputRefused([f"--user: {exc}"]) from None
        raise
    if staff is None:
        raise InputRefused(["--user: wrong username or password"])
    if not staff.can(permission):
        store.log(staff, "command_refused", None, {"command": args.command, "why": f"may not {what}"})
        raise InputRefused([f"--user: {staff.display_name} may not {what}"])
    return staff


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise InputRefused([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise InputRefused([f"{name}: is a folder, not a screening file"]) from None
    except OSError as exc:
        raise InputRefused([f"{name}: cannot be read ({exc.strerror})"]) from None


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=88, initial_indent=indent, subsequent_indent=indent)


SHEET_WORDS = {
    SheetKind.CONSENT: "consent and risk sheet, to be signed",
    SheetKind.DO_NOT_TREAT: "do-not-treat sheet: nothing to sign",
    SheetKind.DEFERRED: "on-hold sheet: the clinician deferred treatment; nothing to sign",
    SheetKind.AWAITING_REVIEW: "risks to read while a clinician reviews: nothing to sign",
    SheetKind.LOT_NOT_CHECKED: "the lot has not been checked yet: nothing to sign",
    SheetKind.LOT_NOT_VERIFIED: "this lot has not passed its checks: it must not be used; nothing to sign",
    SheetKind.DECLINED: "the patient declined the consent: recorded, nothing to sign",
}


def screening_json(screening: Screening, result: ScreeningResult) -> dict:
    """The `--json` object: contract.md, with the second edition's `sheet_kind`."""
    out = result.to_json()
    out["sheet_kind"] = sheet_kind(result, screening.review, screening.declined).value
    return out


def summary(screening: Screening, result: ScreeningResult) -> str:
    content = default_content()
    p, t = screening.patient, screening.treatment
    lines = [f"Outcome: {result.outcome.label.upper()}",
             f"Patient: {p.name}, born {p.date_of_birth.isoformat()}"
             + (f", id {p.patient_id}" if p.patient_id else ""),
             f"Treatment: {t.route.value}" + (f" after {t.procedure.value}" if t.procedure.value != "none" else "")
             + (f", {t.area}" if t.area else "") + f", {t.date.isoformat()}"]
    if result.findings:
        lines.append("Findings, most severe first:")
        for f in result.findings:
            asked = f.question in content.question_ids
            answer = f.answer.label if f.answer else ("not answered" if asked else "")
            lines.append(f"  [{f.outcome.label}] {f.question}" + (f": {answer}" if answer else ""))
            lines.append(_wrap(f"About: {finding_title(content, f.question)}", "      "))
            lines.append(_wrap(f"Why: {f.reason}", "      "))
            lines.append(_wrap(f"Source: {f.source}", "      "))
            for ref in f.references:
                lines.append(f"      Look up: {ref.url}")
    else:
        lines.append("Findings: none")
    if result.outcome is Outcome.DO_NOT_TREAT:
        lines.append("No consent may be signed: print the do-not-treat sheet for the patient.")
    for a in result.advice:
        lines.append(_wrap(f"Advice ({a.topic.replace('_', ' ')}): {a.text}", "").replace("\n", "\n  "))
    if result.product is not None:
        lot = result.product.lot or "(no lot number)"
        lines.append(f"Product lot {lot}: {result.product.status.replace('_', ' ')}")
        for problem in result.product.problems:
            lines.append(f"  - {problem}")
    lines.append(f"Sheet: {SHEET_WORDS[sheet_kind(result, screening.review, screening.declined)]}")
    lines.append(f"Questionnaire {result.questionnaire_version}, rules {result.rules_version}")
    return "\n".join(lines)


def _check_pdf_target(name: str) -> Path:
    path = Path(name)
    if path.is_dir():
        raise InputRefused([f"--pdf: {name} is a folder"])
    if not path.resolve().parent.is_dir():
        raise InputRefused([f"--pdf: the folder {path.resolve().parent} does not exist"])
    return path


def _workstation_context(screening: Screening):
    """The clinic's settings and the patient's earlier screenings from this workstation's
    store, when it has one it can read; else defaults and no history. An unreadable store
    never stops `screen`: it says so on stderr (no patient data) and screens without it."""
    from .records.settings import ClinicSettings
    from .records.store import DB_NAME, Store, configured_url
    if configured_url() is None and not (paths.data_dir() / DB_NAME).exists():
        return ClinicSettings(), (), ()
    try:
        store = Store.open()
        try:
            p = screening.patient
            return store.settings(), tuple(store.earlier_screenings(
                name=p.name, date_of_birth=p.date_of_birth.isoformat(), patient_id=p.patient_id or "")), \
                tuple(store.recalled_lots())
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - a broken store must never stop a screening
        kind = getattr(exc, "kind", type(exc).__name__)
        print(f"warning: this workstation's records could not be read ({kind}); screened without the clinic's "
              "settings, and the patient's earlier screenings could not be checked (a clinician must)",
              file=sys.stderr)
        from .screening.history import HISTORY_UNAVAILABLE
        return ClinicSettings(), HISTORY_UNAVAILABLE, ()


def sheet_clinic(settings, screening: Screening):
    """The clinic printed on the sheet: the workstation's settings when they name the clinic and its
    phone, else the screening file's `clinic` section; refused when neither does (the patient's
    sheet must say whom to call). One source is used whole, never a mix of two clinics."""
    from .sheets import clinic_from, clinic_from_file
    clinic = clinic_from(settings, screening)
    if clinic.can_print:
        return clinic
    if screening.clinic is not None:  # name what the file's clinic section lacks
        clinic = clinic_from_file(screening.clinic)
    why = ("a patient sheet must say whom to call: give it in the screening file's clinic section "
           "or in the clinic settings of this workstation")
    raise InputRefused([f"clinic.{key}: missing: {why}" for key in ("name", "phone") if not getattr(clinic, key)])


def cmd_screen(args) -> int:
    pdf_target = _check_pdf_target(args.pdf) if args.pdf else None
    screening = read_screening(_read_input(args.file))
    settings, history, recalled = _workstation_context(screening)
    if pdf_target is not None:
        from .screening.consent import SheetKind, review_problems, sheet_kind
        from .sheets import render  # only when asked: keeps plain screening quick
        result = screen_for_clinic(screening, settings=settings, history=history, recalled_lots=recalled)
        refused = review_problems(result, screening.review)
        kind = sheet_kind(result, screening.review)
        if screening.declined is not None and kind is not SheetKind.CONSENT:
            refused.append(f"declined: only a consent that was offered can be declined; this screening's "
                           f"sheet is {kind.value.replace('_', ' ')}")
        try:
            clinic = sheet_clinic(settings, screening)  # no sheet without a clinic to call
        except InputRefused as exc:
            refused += exc.problems
        if refused:
            raise InputRefused(refused)
        made = render(screening, settings=settings, history=history, clinic=clinic, recalled=recalled)
        result = made.result
        try:
            paths.write_atomically(pdf_target, made.pdf)
        except OSError as exc:
            print(f"--pdf: cannot write {args.pdf} ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_INTERNAL
    else:
        result = screen_for_clinic(screening, settings=settings, history=history, recalled_lots=recalled)
    if args.json:
        print(json.dumps(screening_json(screening, result), ensure_ascii=False, indent=2))
    else:
        print(summary(screening, result))
    return EXIT_OK


def cmd_questions(args) -> int:
    from .screening.languages import canonical_language, language_problem
    from .screening.localize import localized
    language = canonical_language(args.language)
    if language is None:
        raise InputRefused([f"--language: {language_problem(args.language)}"])
    content = localized(default_content(), language)
    if args.json:
        print(json.dumps({
            "questionnaire_version": content.questionnaire_version,
            "language": language,
            "questions": [{"id": q.id, "text": q.text, "required": q.required} for q in content.questions],
        }, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{content.title}, version {content.questionnaire_version} "
          f"(effective {content.questionnaire_effective.isoformat()})")
    if language != "en":  # whoever reads it aloud knows whether the translation was reviewed
        from .screening.languages import pack_for
        pack = pack_for(language, default_content())
        print(f"Translation {pack.record.version} (fingerprint {pack.fingerprint}): "
              + ("signed off by " + pack.record.reviewer if pack.record.signed_off else "awaiting review"))
    for i, q in enumerate(content.questions, 1):
        flag = "required" if q.required else "optional"
        print(f"{i:2}. {q.id} ({flag})")
        print(_wrap(q.text, "    "))
    return EXIT_OK


def _open_store():
    from .records.store import DB_NAME, Store, configured_url
    if configured_url() is None and not (paths.data_dir() / DB_NAME).exists():
        raise InputRefused([f"store: there is no store in {paths.data_dir()} yet"])
    return Store.open()


def cmd_store(args) -> int:
    from .records.store import Store, configured_url, copy_store
    if args.action == "migrate":
        url = args.target or configured_url()
        if not url or url.startswith("sqlite"):
            raise InputRefused(["store migrate: for a PostgreSQL server; give --to postgresql://owner@host/db "
                                "(or --database-url) with the owner login. SQLite stores update themselves."])
        store = Store.open(url=url, migration=True)
        try:
            if args.grant_to:
                from .records.roles import grant_to
                grant_to(store.engine, args.grant_to)
            print(f"the records on {store.location} are at schema {store.schema_revision()}"
                  + (f"; {args.grant_to} may read and add records, and change nothing else" if args.grant_to else ""))
        finally:
            store.close()
        return EXIT_OK
    if not args.source or not args.target:
        raise InputRefused(["store copy: give --from URL and --to URL"])
    source = Store.open(url=_store_url(args.source, "--from", must_exist=True))
    try:
        staff = _sign_in(source, args, "copy_records", "copy the records")
        target = Store.open(url=_store_url(args.target, "--to", must_exist=False))
    except BaseException:
        source.close()
        raise
    try:
        source.log(staff, "store_copied", None, {"to": str(target.location), "via": "command"})
        counts = copy_store(source, target)
    finally:
        source.close()
        target.close()
    print(f"copied from {source.location} to {target.location}: "
          + ", ".join(f"{n} {name}" for name, n in counts.items()) + "; counts and audit chain verified")
    return EXIT_OK


def _store_url(url: str, option: str, must_exist: bool) -> str:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if must_exist and not path.is_file():
            raise InputRefused([f"{option}: no SQLite store at {path}"])
    elif "://" not in url:
        raise InputRefused([f"{option}: give a URL, such as sqlite:///path/screenings.sqlite3 or "
                            "postgresql://user@host/dbname"])
    return url


def cmd_audit(args) -> int:
    store = _open_store()
    if args.action == "accept-restore":
        try:
            staff = _sign_in(store, args, "manage_staff", "accept a restored backup")
            mark = store.accept_restore(staff, args.reason)
        finally:
            store.close()
        print(f"restore recorded; this workstation now anchors the trail at {mark}")
        return EXIT_OK
    try:
        staff = _sign_in(store, args, "view_audit", "check the audit trail")
        ok, message = store.verify_audit(fingerprints=tuple(args.fingerprint))
        store.log(staff, "audit_verified", None, {"ok": ok, "result": message[:300], "via": "command"})
    finally:
        store.close()
    print(("audit trail verified: " if ok else "AUDIT TRAIL BROKEN: ") + message)
    return EXIT_OK if ok else EXIT_INTERNAL


def cmd_export(args) -> int:
    from .records.export import csv_export, export_screening, iter_fhir_collection
    fhir = args.fhir is not None
    problems = [] if fhir != bool(args.csv) else [
        "export: give either --fhir (a SCREENING_ID, or --from/--to) or --csv"]
    for option, value in (("--from", args.date_from), ("--to", args.date_to)):
        if value is not None and not _iso_date(value):
            problems.append(f"{option}: {value[:40]!r} is not a date (YYYY-MM-DD)")
    if not problems and args.date_from and args.date_to and args.date_from > args.date_to:
        problems.append(f"--from: {args.date_from} is after --to {args.date_to}")
    ranged = args.date_from is not None or args.date_to is not None
    if fhir and args.fhir and ranged:
        problems.append("--fhir: give one SCREENING_ID or a range (--from/--to), not both")
    if fhir and not args.fhir and not ranged:
        problems.append("--fhir: give a SCREENING_ID, or --from and/or --to for every finished screening in a range")
    if problems:
        raise InputRefused(problems)
    store = _open_store()
    try:
        staff = _sign_in(store, args, "export", "export records")
        if args.csv:
            rows = store.search(date_from=args.date_from or "", date_to=args.date_to or "", limit=10_000_000)
            store.log(staff, "exported", None, {"as": "csv", "rows": len(rows), "via": "command"})
            sys.stdout.write(csv_export(rows))
        elif args.fhir:
            bundle = export_screening(store, args.fhir, actor=staff)
            store.log(staff, "exported", args.fhir, {"as": "fhir", "via": "command"})
            print(json.dumps(bundle, ensure_ascii=False, indent=2))
        else:
            rows = store.search(date_from=args.date_from or "", date_to=args.date_to or "",
                                include_unfinished=False, limit=10_000_000)
            sids = [r["id"] for r in sorted(rows, key=lambda r: (r["treatment_date"], r["updated_at"], r["id"]))]
            for chunk in iter_fhir_collection(sids, lambda sid: export_screening(store, sid, actor=staff)):
                sys.stdout.write(chunk)
            for sid in sids:  # each exported screening has its own entry in its audit trail
                store.log(staff, "exported", sid, {"as": "fhir", "via": "command", "range": [args.date_from,
                                                                                            args.date_to]})
            if not sids:
                print("export: no finished screening in that range", file=sys.stderr)
    finally:
        store.close()
    return EXIT_OK


def _iso_date(text: str) -> bool:
    import datetime as dt
    import re
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def cmd_lookback(args) -> int:
    from .records.aftercare_report import lookback_csv, lookback_table
    store = _open_store()
    try:
        staff = _sign_in(store, args, "lookback", "look back at who received a lot")
        recalled, rows = store.lookback(staff, args.lot)  # audited by the store
    finally:
        store.close()
    sys.stdout.write(lookback_csv(rows) if args.csv else lookback_table(args.lot, recalled, rows))
    return EXIT_OK


def cmd_recall(args) -> int:
    store = _open_store()
    try:
        staff = _sign_in(store, args, "recall", "recall a lot")
        store.recall_lot(staff, args.lot, args.reason)  # audited by the store
        _, rows = store.lookback(staff, args.lot)
    finally:
        store.close()
    print(f"lot {args.lot.strip()} recalled: it never verifies again; {len(rows)} patient(s) received it "
          f"(screening-app lookback --lot {args.lot.strip()} --user NAME lists them)")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    try:
        args = build_parser().parse_args(argv)
        return {"screen": cmd_screen, "questions": cmd_questions, "audit": cmd_audit,
                "export": cmd_export, "store": cmd_store, "lookback": cmd_lookback,
                "recall": cmd_recall}[args.command](args)
    except StoreError as exc:
        print(f"store: {exc}", file=sys.stderr)
        return EXIT_REFUSED if exc.kind == "refused" else EXIT_INTERNAL
    except SystemExit as exc:
        return int(exc.code or 0)
    except InputRefused as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_REFUSED
    except ContentError as exc:
        print("The questionnaire or rules in resources/ cannot be used:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return EXIT_INTERNAL
    except BrokenPipeError:  # e.g. `screen f.json | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except Exception as exc:  # the contract: never a traceback, and no values (they may be a patient's)
        from .logs import fault_summary
        print(f"internal error: {fault_summary(type(exc), exc.__traceback__)}", file=sys.stderr)
        return EXIT_INTERNAL


def _utf8_streams() -> None:
    # Names in any script must print, also on a console whose locale is C or cp1252.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):
            pass
