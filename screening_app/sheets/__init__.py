"""The patient sheet: screening result in, PDF bytes out (reportlab). No Qt."""
from .document import Clinic, build_sheet, sheet_texts
from .readability import fk_grade
from .render import Rendered, clinic_from, render

__all__ = ["Clinic", "Rendered", "build_sheet", "clinic_from", "fk_grade", "render", "sheet_texts"]
