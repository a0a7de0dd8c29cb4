"""Staff accounts: roles, what each role may do, and password hashing.

Passwords are hashed with scrypt (memory-hard; in Python's standard library), 16 MiB and a
random salt per password; the parameters are stored with the hash so they can be raised.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..wording import say

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1

# What each role may do; the store checks these on every call.
PERMISSIONS = {
    "front_desk": {"screen", "follow_up"},
    "clinician": {"screen", "review", "sign", "release", "withdraw", "export", "follow_up", "administer",
                  "adverse_events", "lookback"},
    "admin": {"manage_staff", "manage_settings", "view_audit", "release", "withdraw", "export", "copy_records",
              "recall", "lookback"},
}
ALL_ROLES = tuple(PERMISSIONS)


class _RoleLabels(Mapping[str, str]):
    """{role: its label in staff words}, read from resources/locale (records.role.<role>) when
    asked, so the label follows the app's language rather than the one at import."""

    def __getitem__(self, role: str) -> str:
        if role not in PERMISSIONS:
            raise KeyError(role)
        return say(f"records.role.{role}")

    def __iter__(self) -> Iterator[str]:
        return iter(ALL_ROLES)

    def __len__(self) -> int:
        return len(ALL_ROLES)


ROLE_LABELS: Mapping[str, str] = _RoleLabels()


class PermissionDenied(Exception):
    pass


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    role: str
    active: bool = True

    def can(self, permission: str) -> bool:
        return self.active and permission in PERMISSIONS.get(self.role, ())

    def require(self, permission: str, what: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(say("records.may_not", name=self.display_name,
                                       role=ROLE_LABELS.get(self.role, self.role), what=what))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=64 * 1024 * 1024, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), maxmem=64 * 1024 * 1024, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# What a password or username must be lives in passwords.py (zxcvbn, Unicode confusables).
from .passwords import normalise_username, password_problem, username_problem  # noqa: E402,F401
