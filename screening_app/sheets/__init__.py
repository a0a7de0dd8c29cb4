"""The patient sheet: screening result in, PDF bytes out (reportlab). No Qt."""
from .document import Clinic, build_sheet, sheet_texts

__all__ = ["Clinic", "build_sheet", "sheet_texts"]
