"""The record commands (`store`, `audit`, `export`, `lookback`, `recall`): each runs as a signed-in
staff member, and each run leaves an audit entry (contract.md, second edition)."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from pathlib import Path

from .. import paths
from ..records import StoreError
from ..screening import InputRefused, Problem
from ..wording import say
from .parser import EXIT_INTERNAL, EXIT_OK, PASSWORD_ENV


def _refuse(field: str, message: str) -> InputRefused:
    return InputRefused([Problem(field, message)])


def _sign_in(store, args, permission: str, what: str):
    """The staff member a record command runs as; exit 2 (InputRefused) without a valid sign-in.
    The sign-in itself is audited (signed_in / sign_in_failed) by the store."""
    if not args.user:
        raise _refuse("--user", say("cli.sign_in.no_user", env=PASSWORD_ENV))
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise _refuse("password", say("cli.sign_in.no_password", env=PASSWORD_ENV))
        import getpass
        password = getpass.getpass(say("cli.sign_in.prompt", user=args.user))
    try:
        staff = store.authenticate(args.user, password)
    except StoreError as exc:
        if exc.kind == "locked":
            raise _refuse("--user", str(exc)) from None
        raise
    if staff is None:
        raise _refuse("--user", say("cli.sign_in.wrong"))
    if not staff.can(permission):
        store.log(staff, "command_refused", None, {"command": args.command, "why": f"may not {what}"})
        raise _refuse("--user", say("cli.sign_in.may_not", who=staff.display_name, what=what))
    return staff


def _open_store():
    from ..records.store import DB_NAME, Store, configured_url
    if configured_url() is None and not (paths.data_dir() / DB_NAME).exists():
        raise _refuse("store", say("cli.store.none", folder=paths.data_dir()))
    return Store.open()


def cmd_store(args) -> int:
    from ..records.store import Store, configured_url, copy_store
    if args.action == "migrate":
        url = args.target or configured_url()
        if not url or url.startswith("sqlite"):
            raise _refuse("store migrate", say("cli.store.migrate_server"))
        store = Store.open(url=url, migration=True)
        try:
            if args.grant_to:
                from ..records.roles import grant_to
                grant_to(store.engine, args.grant_to)
            print(say("cli.store.migrated", location=store.location, revision=store.schema_revision())
                  + (say("cli.store.granted", role=args.grant_to) if args.grant_to else ""))
        finally:
            store.close()
        return EXIT_OK
    if not args.source or not args.target:
        raise _refuse("store copy", say("cli.store.copy_urls"))
    source = Store.open(url=_store_url(args.source, "--from", must_exist=True))
    try:
        staff = _sign_in(source, args, "copy_records", say("cli.may.copy_records"))
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
    print(say("cli.store.copied", source=source.location, target=target.location,
              counts=", ".join(f"{n} {name}" for name, n in counts.items())))
    return EXIT_OK


def _store_url(url: str, option: str, must_exist: bool) -> str:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if must_exist and not path.is_file():
            raise _refuse(option, say("cli.store.no_sqlite", path=path))
    elif "://" not in url:
        raise _refuse(option, say("cli.store.not_url"))
    return url


def cmd_audit(args) -> int:
    store = _open_store()
    if args.action == "accept-restore":
        try:
            staff = _sign_in(store, args, "manage_staff", say("cli.may.accept_restore"))
            mark = store.accept_restore(staff, args.reason)
        finally:
            store.close()
        print(say("cli.audit.restore_recorded", mark=mark))
        return EXIT_OK
    try:
        staff = _sign_in(store, args, "view_audit", say("cli.may.view_audit"))
        ok, message = store.verify_audit(fingerprints=tuple(args.fingerprint))
        store.log(staff, "audit_verified", None, {"ok": ok, "result": message[:300], "via": "command"})
    finally:
        store.close()
    print(say("cli.audit.verified", message=message) if ok else say("cli.audit.broken", message=message))
    return EXIT_OK if ok else EXIT_INTERNAL


def _export_problems(args) -> list[Problem]:
    fhir = args.fhir is not None
    problems = [] if fhir != bool(args.csv) else [Problem("export", say("cli.export.which"))]
    for option, value in (("--from", args.date_from), ("--to", args.date_to)):
        if value is not None and not _iso_date(value):
            problems.append(Problem(option, say("cli.export.not_a_date", value=repr(value[:40]))))
    if not problems and args.date_from and args.date_to and args.date_from > args.date_to:
        problems.append(Problem("--from", say("cli.export.after", start=args.date_from, end=args.date_to)))
    ranged = args.date_from is not None or args.date_to is not None
    if fhir and args.fhir and ranged:
        problems.append(Problem("--fhir", say("cli.export.id_or_range")))
    if fhir and not args.fhir and not ranged:
        problems.append(Problem("--fhir", say("cli.export.id_or_range_needed")))
    return problems


def cmd_export(args) -> int:
    from ..records.export import csv_export, export_screening, iter_fhir_collection
    problems = _export_problems(args)
    if problems:
        raise InputRefused(problems)
    store = _open_store()
    try:
        staff = _sign_in(store, args, "export", say("cli.may.export"))
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
                print(say("cli.export.none_in_range"), file=sys.stderr)
    finally:
        store.close()
    return EXIT_OK


def _iso_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def cmd_lookback(args) -> int:
    from ..records.aftercare_report import lookback_csv, lookback_table
    store = _open_store()
    try:
        staff = _sign_in(store, args, "lookback", say("cli.may.lookback"))
        recalled, rows = store.lookback(staff, args.lot)  # audited by the store
    finally:
        store.close()
    sys.stdout.write(lookback_csv(rows) if args.csv else lookback_table(args.lot, recalled, rows))
    return EXIT_OK


def cmd_recall(args) -> int:
    store = _open_store()
    try:
        staff = _sign_in(store, args, "recall", say("cli.may.recall"))
        store.recall_lot(staff, args.lot, args.reason)  # audited by the store
        _, rows = store.lookback(staff, args.lot)
    finally:
        store.close()
    print(say("cli.recall.done", lot=args.lot.strip(), patients=len(rows)))
    return EXIT_OK
