"""Who a patient is, across screenings (clinical brief, "One patient, many screenings").

The same patient is the same patient ID or, where an ID is missing, the same name (case,
accents and spacing folded) and date of birth.
"""
from __future__ import annotations

import re
import unicodedata

# Letters that carry no combining accent in Unicode, so NFKD leaves them as they are.
_PLAIN = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i",
                        "ħ": "h", "ŧ": "t", "ŀ": "l"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, for search and matching:
    "Łukasz" and "LUKASZ" both fold to "lukasz", "Ångström" to "angstrom"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def name_words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-'’.,]+", fold(text)) if w]


def patient_key(name: str, date_of_birth: str) -> str:
    """Folded name words and birth date: "Zoë  ÅNGSTRÖM" born 1980-04-02 is "zoe angstrom|1980-04-02".
    Empty while either is missing, so an unnamed draft matches nobody."""
    words = " ".join(name_words(name))
    dob = date_of_birth.strip()[:10]
    return f"{words[:400]}|{dob}" if words and dob else ""
