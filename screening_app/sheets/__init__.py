"""The patient sheet: screening result in, PDF bytes out (reportlab). No Qt."""
from .document import Clinic, build_sheet, sheet_texts
from .render import Rendered, clinic_from, render

__all__ = ["Clinic", "Rendered", "build_sheet", "clinic_from", "render", "sheet_texts"]
