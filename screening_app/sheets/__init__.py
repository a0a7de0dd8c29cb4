"""The patient sheet: screening result in, PDF bytes out (reportlab). No Qt."""
from .document import Clinic, build_sheet, sheet_texts
from .readability import fk_grade

__all__ = ["Clinic", "build_sheet", "fk_grade", "sheet_texts"]
