"""Launcher: `python main.py` starts the screening assistant (or a command, see --help)."""
import sys

from screening_app.app import main

if __name__ == "__main__":
    sys.exit(main())
