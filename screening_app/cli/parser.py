"""The command line of contract.md: its commands, their options and their help."""
from __future__ import annotations

import argparse
import sys

from ..wording import say

EXIT_OK, EXIT_INTERNAL, EXIT_REFUSED = 0, 1, 2
COMMANDS = ("screen", "questions", "audit", "export", "store", "lookback", "recall")
PASSWORD_ENV = "SCREENING_APP_PASSWORD"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code is 2 as well; keep its one-line style
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_REFUSED)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="screening-app", description=say("cli.help.program"))
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_screen = sub.add_parser("screen", help=say("cli.help.screen"))
    p_screen.add_argument("file", help=say("cli.help.screen_file"))
    p_screen.add_argument("--json", action="store_true", help=say("cli.help.json"))
    p_screen.add_argument("--pdf", metavar="OUT.pdf", help=say("cli.help.pdf"))
    p_q = sub.add_parser("questions", help=say("cli.help.questions"))
    p_q.add_argument("--json", action="store_true", help=say("cli.help.json"))
    p_q.add_argument("--language", default="en", help=say("languages.cli_help_language"))
    user_help = say("cli.help.user", env=PASSWORD_ENV)
    p_audit = sub.add_parser("audit", help=say("cli.help.audit"))
    p_audit.add_argument("action", choices=["verify", "accept-restore"], help=say("cli.help.audit_action"))
    p_audit.add_argument("--reason", default="", help=say("cli.help.audit_reason"))
    p_audit.add_argument("--user", metavar="NAME", help=user_help)
    p_audit.add_argument("--fingerprint", action="append", default=[], metavar="MARK",
                         help=say("cli.help.fingerprint"))
    p_store = sub.add_parser("store", help=say("cli.help.store"))
    p_store.add_argument("action", choices=["copy", "migrate"])
    p_store.add_argument("--from", dest="source", metavar="URL", help=say("cli.help.store_from"))
    p_store.add_argument("--to", dest="target", metavar="URL", help=say("cli.help.store_to"))
    p_store.add_argument("--user", metavar="NAME", help=user_help + say("cli.help.store_user"))
    p_store.add_argument("--grant-to", metavar="ROLE", help=say("cli.help.grant_to"))
    p_export = sub.add_parser("export", help=say("cli.help.export"))
    p_export.add_argument("--fhir", nargs="?", const="", metavar="SCREENING_ID", help=say("cli.help.fhir"))
    p_export.add_argument("--csv", action="store_true", help=say("cli.help.csv"))
    p_export.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help=say("cli.help.date_from"))
    p_export.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help=say("cli.help.date_to"))
    p_export.add_argument("--user", metavar="NAME", help=user_help)
    p_look = sub.add_parser("lookback", help=say("cli.help.lookback"))
    p_look.add_argument("--lot", required=True, help=say("cli.help.lot"))
    p_look.add_argument("--user", metavar="NAME", help=user_help)
    p_look.add_argument("--csv", action="store_true", help=say("cli.help.lookback_csv"))
    p_recall = sub.add_parser("recall", help=say("cli.help.recall"))
    p_recall.add_argument("--lot", required=True, help=say("cli.help.lot"))
    p_recall.add_argument("--reason", required=True, help=say("cli.help.recall_reason"))
    p_recall.add_argument("--user", metavar="NAME", help=user_help + say("cli.help.admin"))
    return parser
