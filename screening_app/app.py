"""Entry point: the headless commands, or the GUI when no command is given."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from . import cli
    # A first word that is not an option is a command; an unknown one is refused by the
    # CLI rather than silently opening the GUI.
    if argv and (not argv[0].startswith("-") or argv[0] in ("-h", "--help")):
        return cli.main(argv)
    from .ui.main_window import run_gui  # Qt is imported only for the GUI
    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
