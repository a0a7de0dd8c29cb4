"""Signing in at the command line: `--user NAME`, the password from SCREENING_APP_PASSWORD or
a prompt (never an argument, so it stays out of the shell history and the process list).

The store checks the password, audits the sign-in (or its failure) and, on every later
call, re-reads the account; a command without a valid sign-in exits with status 2.
"""
from __future__ import annotations

import getpass
import os
import sys

from .records.accounts import Staff

PASSWORD_ENV = "SCREENING_APP_PASSWORD"


class SignInRefused(Exception):
    """No valid sign-in: the message names what to do, never the password."""


def read_password(username: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise SignInRefused(f"--user: no password (set {PASSWORD_ENV} or run in a terminal to be asked)")
    try:
        return getpass.getpass(f"Password for {username}: ")
    except (EOFError, KeyboardInterrupt):
        raise SignInRefused("--user: no password given") from None


def sign_in(store, username: str | None) -> Staff:
    """The signed-in account, or SignInRefused."""
    if not username or not username.strip():
        raise SignInRefused("--user: sign in with --user NAME (the password is asked, or taken from "
                            f"{PASSWORD_ENV})")
    staff = store.authenticate(username.strip(), read_password(username.strip()))
    if staff is None:
        raise SignInRefused(f"--user: the sign-in as {username.strip()!r} was refused (wrong name or password, "
                            "or the account is switched off)")
    return staff
