"""Each account's own signing key, and the signature on every finished screening.

21 CFR 11.50 / 11.70: a signed record shows the signer's printed name, the date and time,
and the meaning of the signature, and the signature is bound to its record so it cannot be
copied onto another. Here:

- Every account has an Ed25519 key (`cryptography`). Its private half is sealed by the
  account's password: scrypt (the password's own parameters) derives a 256-bit key that
  encrypts it with AES-GCM, the key's fingerprint as associated data. A new password means a
  new key; old keys stay (never changed) so old signatures keep verifying.
- A key is *endorsed*: signed by the key of the admin who created or reset the account, or
  by the owner's previous key when they change their own password. Only the store's first
  key, and the first key of an account that existed before signing began (recorded in the
  trail as "staff_baseline"), endorse themselves. So a key slipped in behind the app's back
  (with a forged, correctly chained audit entry) is not trusted: `audit verify` follows the
  endorsements back to the first key, whose registration sits at the start of the trail that
  every workstation and every printed sheet anchor.
- The key is unsealed when its owner signs in (or unlocks, or sets the password) and is
  held in this process's memory for that session only; the idle lock forgets it. Choosing
  this over asking the password again at "Done": a session is already one person at one
  workstation behind an idle lock (21 CFR 11.200(a)(1)(i): later signings in one continuous
  session need one component), and the store's `finish` needs no new argument.
- Finishing signs the canonical JSON of the record: screening, result, sheet kind, outcome,
  lot, versions, PDF SHA-256, signer, name, time, meaning and key fingerprint.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# One home for what a signature means: the sheet prints the same words the store signs.
from ..screening.signature import format_signed

SEAL_N, SEAL_R, SEAL_P = 2 ** 14, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")



@dataclass(frozen=True)
class SignatureManifest:
    """What a finished record's signature says, for the sheet and the audit view."""
    signer: str          # username
    name: str            # the signer's printed name
    signed_at: str       # ISO 8601, UTC, seconds
    meaning: str
    key_fingerprint: str = ""

    def line(self) -> str:
        return format_signed(self.name, self.signed_at, self.meaning)


@dataclass(frozen=True)
class OpenKey:
    """An unsealed signing key, held in memory for its owner's session."""
    staff_id: int
    fingerprint: str
    private: Ed25519PrivateKey


def public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()


def _seal_key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def seal(private: Ed25519PrivateKey, password: str, fp: str) -> str:
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    box = AESGCM(_seal_key(password, salt, SEAL_N, SEAL_R, SEAL_P)).encrypt(nonce, raw, fp.encode("ascii"))
    return f"aesgcm-scrypt${SEAL_N}${SEAL_R}${SEAL_P}${_b64(salt)}${_b64(nonce)}${_b64(box)}"


def unseal(sealed: str, password: str, fp: str) -> Ed25519PrivateKey | None:
    try:
        scheme, n, r, p, salt, nonce, box = sealed.split("$")
        if scheme != "aesgcm-scrypt":
            return None
        key = _seal_key(password, base64.b64decode(salt), int(n), int(r), int(p))
        raw = AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(box), fp.encode("ascii"))
        private = Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, InvalidTag):
        return None
    return private if hashlib.sha256(public_raw(private)).hexdigest() == fp else None


def endorsement_message(username: str, fp: str) -> bytes:
    return canonical({"endorse": {"username": username, "fingerprint": fp}})


def entry_message(action: str, actor: str, detail: dict) -> bytes:
    """What an admin's key signs in an account change's audit entry (all but the signature)."""
    return canonical({"action": action, "actor": actor,
                      "detail": {k: v for k, v in detail.items() if k != "sig"}})


def signed_detail(key: OpenKey | None, action: str, actor: str, detail: dict) -> dict:
    """`detail` with the acting key's fingerprint and signature (None: the store's first account,
    created before any key exists)."""
    if key is None:
        return detail
    detail = dict(detail, by_key=key.fingerprint)
    detail["sig"] = sign(key.private, entry_message(action, actor, detail))
    return detail


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    return _b64(private.sign(message))


def verify(public_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64)).verify(
            base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def record_message(*, screening_id: str, screening_json: str, result_json: str, sheet_kind: str, outcome: str,
                   lot, lot_verified, questionnaire_version: str, rules_version: str, sheet_version: str,
                   pdf_sha256: str, manifest: SignatureManifest) -> bytes:
    """The bytes a finished record's signature covers: everything the record says."""
    return canonical({
        "screening_id": screening_id, "screening": screening_json, "result": result_json,
        "sheet_kind": sheet_kind, "outcome": outcome, "lot": lot,
        "lot_verified": None if lot_verified is None else bool(lot_verified),
        "versions": [questionnaire_version, rules_version, sheet_version], "pdf_sha256": pdf_sha256,
        "signer": manifest.signer, "signer_name": manifest.name, "signed_at": manifest.signed_at,
        "meaning": manifest.meaning, "key": manifest.key_fingerprint,
    })


def message_for_row(finished_row, signature_row, outcome: str) -> bytes:
    """The message rebuilt from stored rows (`finished` and `signatures`), for verification."""
    f, s = finished_row, signature_row
    return record_message(
        screening_id=f["screening_id"], screening_json=f["screening_json"], result_json=f["result_json"],
        sheet_kind=f["sheet_kind"], outcome=outcome, lot=f["lot"], lot_verified=f["lot_verified"],
        questionnaire_version=f["questionnaire_version"], rules_version=f["rules_version"],
        sheet_version=f["sheet_version"], pdf_sha256=f["pdf_sha256"],
        manifest=SignatureManifest(s["signer"], s["signer_name"], s["signed_at"], s["meaning"], s["key_fingerprint"]))


# --- the store's side: registering, opening and using keys ----------------------------------

def register_key(c, audit, *, staff_id: int, username: str, password: str, actor: str,
                 endorser: OpenKey | None, now: str) -> OpenKey:
    """A new key for `username`, sealed by `password`, endorsed by `endorser` (None: by itself),
    written with its audit entry first (the table's trigger asks for it)."""
    from sqlalchemy import insert

    from . import schema as t
    private = Ed25519PrivateKey.generate()
    public_b64 = _b64(public_raw(private))
    fp = fingerprint(public_b64)
    by = endorser.private if endorser is not None else private
    audit(c, actor, "signing_key_registered", None,
          {"username": username, "fingerprint": fp, "public_key": public_b64,
           "endorsed_by": endorser.fingerprint if endorser is not None else None})
    c.execute(insert(t.signing_keys).values(
        staff_id=staff_id, username=username, public_key=public_b64, fingerprint=fp,
        sealed_key=seal(private, password, fp), endorsed_by=endorser.fingerprint if endorser is not None else None,
        endorsement=sign(by, endorsement_message(username, fp)), registered_at=now))
    return OpenKey(staff_id, fp, private)


def open_key(c, staff_id: int, password: str) -> OpenKey | None:
    """The account's latest key, unsealed by its password; None when it has none."""
    from sqlalchemy import select

    from . import schema as t
    row = c.execute(select(t.signing_keys.c.fingerprint, t.signing_keys.c.sealed_key)
                    .where(t.signing_keys.c.staff_id == staff_id)
                    .order_by(t.signing_keys.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    private = unseal(row.sealed_key, password, row.fingerprint)
    return OpenKey(staff_id, row.fingerprint, private) if private is not None else None
