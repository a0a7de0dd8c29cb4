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
from .screening.history import finding_title
from .screening.model import Outcome, ScreeningResult, Screening

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
    p_audit = sub.add_parser("audit", help="check the audit trail of this workstation's store")
    p_audit.add_argument("action", choices=["verify"])
    p_store = sub.add_parser("store", help="move the records to another store")
    p_store.add_argument("action", choices=["copy"])
    p_store.add_argument("--from", dest="source", required=True, metavar="URL",
                         help="postgresql://… or sqlite:///path/screenings.sqlite3")
    p_store.add_argument("--to", dest="target", required=True, metavar="URL", help="an empty store")
    p_export = sub.add_parser("export", help="export finished screenings")
    p_export.add_argument("--fhir", metavar="SCREENING_ID", help="one finished screening as a FHIR R4 Bundle")
    p_export.add_argument("--csv", action="store_true", help="the list of screenings as CSV")
    p_look = sub.add_parser("lookback", help="every patient who received a lot (a call list once it is recalled)")
    p_look.add_argument("--lot", required=True, help="the lot number")
    p_look.add_argument("--user", required=True, help="your account (the password is asked, or taken from "
                                                      "SCREENING_APP_PASSWORD)")
    p_look.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p_recall = sub.add_parser("recall", help="mark a lot recalled (admin): it never verifies again")
    p_recall.add_argument("--lot", required=True, help="the lot number")
    p_recall.add_argument("--reason", required=True, help="why the lot is recalled")
    p_recall.add_argument("--user", required=True, help="an admin account (the password is asked, or taken from "
                                                        "SCREENING_APP_PASSWORD)")
    return parser


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


def summary(screening: Screening, result: ScreeningResult) -> str:
    content = default_content()
    p, t = screening.patient, screening.treatment
    lines = [f"Outcome: {result.outcome.label.upper()}",
             f"Patient: {p.name}, born {p.date_of_birth.isoformat()}"
             + (f", id {p.patient_id}" if p.patient_id else ""),
             f"Treatment: {t.route.value}" + (f", {t.area}" if t.area else "") + f", {t.date.isoformat()}"]
    if result.findings:
        lines.append("Findings, most severe first:")
        for f in result.findings:
            answer = f.answer.label if f.answer else "not answered"
            lines.append(f"  [{f.outcome.label}] {f.question}: {answer}")
            lines.append(_wrap(f"About: {finding_title(content, f.question)}", "      "))
            lines.append(_wrap(f"Why: {f.reason}", "      "))
            lines.append(_wrap(f"Source: {f.source}", "      "))
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
              "settings or the patient's earlier screenings", file=sys.stderr)
        return ClinicSettings(), (), ()


def cmd_screen(args) -> int:
    pdf_target = _check_pdf_target(args.pdf) if args.pdf else None
    screening = read_screening(_read_input(args.file))
    settings, history, recalled = _workstation_context(screening)
    if pdf_target is not None:
        from .sheets import render  # only when asked: keeps plain screening quick
        from .screening.consent import review_problems
        made = render(screening, settings=settings, history=history, recalled=recalled)
        result = made.result
        refused = review_problems(result, screening.review)
        if refused:
            raise InputRefused(refused)
        try:
            paths.write_atomically(pdf_target, made.pdf)
        except OSError as exc:
            print(f"--pdf: cannot write {args.pdf} ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_INTERNAL
    else:
        result = screen_for_clinic(screening, settings=settings, history=history, recalled=recalled)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(summary(screening, result))
    return EXIT_OK


def cmd_questions(args) -> int:
    content = default_content()
    if args.json:
        print(json.dumps({
            "questionnaire_version": content.questionnaire_version,
            "questions": [{"id": q.id, "text": q.text, "required": q.required} for q in content.questions],
        }, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{content.title}, version {content.questionnaire_version} "
          f"(effective {content.questionnaire_effective.isoformat()})")
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
    from .records.store import Store, copy_store
    source = Store.open(url=_store_url(args.source, "--from", must_exist=True))
    target = Store.open(url=_store_url(args.target, "--to", must_exist=False))
    try:
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
    try:
        ok, message = store.verify_audit()
    finally:
        store.close()
    print(("audit trail verified: " if ok else "AUDIT TRAIL BROKEN: ") + message)
    return EXIT_OK if ok else EXIT_INTERNAL


def cmd_export(args) -> int:
    from .records.export import csv_export, fhir_bundle
    if bool(args.fhir) == bool(args.csv):
        raise InputRefused(["export: give either --fhir SCREENING_ID or --csv"])
    store = _open_store()
    try:
        if args.csv:
            sys.stdout.write(csv_export(store.search(limit=10_000_000)))
        else:
            print(json.dumps(fhir_bundle(store.record(args.fhir)), ensure_ascii=False, indent=2))
    finally:
        store.close()
    return EXIT_OK


def _signed_in_store(username: str):
    from .signin_cli import SignInRefused, sign_in
    store = _open_store()
    try:
        return store, sign_in(store, username)
    except SignInRefused as exc:
        store.close()
        raise InputRefused([str(exc)]) from None
    except BaseException:
        store.close()
        raise


def cmd_lookback(args) -> int:
    from .records.aftercare_report import lookback_csv, lookback_table
    from .records.accounts import PermissionDenied
    store, staff = _signed_in_store(args.user)
    try:
        recalled, rows = store.lookback(staff, args.lot)
    except PermissionDenied as exc:
        raise InputRefused([f"--user: {exc}"]) from None
    finally:
        store.close()
    sys.stdout.write(lookback_csv(rows) if args.csv else lookback_table(args.lot, recalled, rows))
    return EXIT_OK


def cmd_recall(args) -> int:
    from .records.accounts import PermissionDenied
    store, staff = _signed_in_store(args.user)
    try:
        store.recall_lot(staff, args.lot, args.reason)
        _, rows = store.lookback(staff, args.lot)
    except PermissionDenied as exc:
        raise InputRefused([f"--user: {exc}"]) from None
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
    except Exception as exc:  # the contract: never a traceback
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def _utf8_streams() -> None:
    # Names in any script must print, also on a console whose locale is C or cp1252.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):
            pass
