"""Entry point: the headless commands, or the GUI when no command is given."""
from __future__ import annotations

import os
import sys


def _take_database_url(argv: list[str]) -> list[str]:
    """--database-url URL works for the GUI and every command: it names the store to use."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--database-url" and i + 1 < len(argv):
            os.environ["SCREENING_APP_DATABASE_URL"] = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--database-url="):
            os.environ["SCREENING_APP_DATABASE_URL"] = arg.split("=", 1)[1]
        else:
            out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    argv = _take_database_url(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:
        from .selftest import run
        return run()
    from . import cli
    # A first word that is not an option is a command; an unknown one is refused by the
    # CLI rather than silently opening the GUI.
    if argv and (not argv[0].startswith("-") or argv[0] in ("-h", "--help")):
        return cli.main(argv)
    from .ui.workstation import run_gui  # Qt is imported only for the GUI
    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
