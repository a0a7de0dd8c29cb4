"""The headless commands of contract.md: `screen` and `questions`, and the record commands.

Exit status: 0 screened (whatever the outcome), 2 input refused (one line per problem
on stderr, each naming the field; nothing written), 1 internal error. Never a traceback.

parser.py holds the command line, screen.py `screen` and `questions`, records.py the commands
that read or change records as a signed-in staff member; this module runs one and reports.
"""
from __future__ import annotations

import os
import sys

from ..records import StoreError
from ..screening import ContentError, InputRefused
from ..wording import say
from .parser import COMMANDS, EXIT_INTERNAL, EXIT_OK, EXIT_REFUSED, PASSWORD_ENV, build_parser
from .records import cmd_audit, cmd_export, cmd_lookback, cmd_recall, cmd_store
from .screen import cmd_questions, cmd_screen, screening_json, sheet_clinic, sheet_words, summary

HANDLERS = {"screen": cmd_screen, "questions": cmd_questions, "audit": cmd_audit, "export": cmd_export,
            "store": cmd_store, "lookback": cmd_lookback, "recall": cmd_recall}


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    try:
        args = build_parser().parse_args(argv)
        return HANDLERS[args.command](args)
    except StoreError as exc:
        print(say("cli.failed.store", message=exc), file=sys.stderr)
        return EXIT_REFUSED if exc.kind == "refused" else EXIT_INTERNAL
    except SystemExit as exc:
        return int(exc.code or 0)
    except InputRefused as exc:
        for problem in exc.found:
            print(problem, file=sys.stderr)
        return EXIT_REFUSED
    except ContentError as exc:
        print(say("cli.failed.content"), file=sys.stderr)
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return EXIT_INTERNAL
    except BrokenPipeError:  # e.g. `screen f.json | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except Exception as exc:  # the contract: never a traceback, and no values (they may be a patient's)
        from ..logs import fault_summary
        print(say("cli.failed.internal", summary=fault_summary(type(exc), exc.__traceback__)), file=sys.stderr)
        return EXIT_INTERNAL


def _utf8_streams() -> None:
    # Names in any script must print, also on a console whose locale is C or cp1252.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(encoding="utf-8", errors="replace")
            except ValueError:
                pass


__all__ = [
    "COMMANDS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_REFUSED", "HANDLERS", "PASSWORD_ENV", "build_parser",
    "cmd_audit", "cmd_export", "cmd_lookback", "cmd_questions", "cmd_recall", "cmd_screen", "cmd_store", "main",
    "screening_json", "sheet_clinic", "sheet_words", "summary",
]
