"""The one escaper: patient or staff text placed inside markup (Qt rich text labels, reportlab
Paragraphs on the sheet, FHIR XHTML narratives) is shown as written, never parsed as markup."""
from __future__ import annotations

from html import escape as _html_escape


def escape(text: str | None) -> str:
    """`&`, `<` and `>` as entities (None as ""). Quotes stay as they are: the text always goes
    between tags, never into an attribute, and reportlab and Qt read both forms alike."""
    return _html_escape(text or "", quote=False)
