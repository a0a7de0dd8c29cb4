"""The patient sheet: screening result in, PDF bytes out (reportlab). No Qt."""
from .document import Clinic, build_sheet, clinic_from_file, clinic_from_settings, sheet_texts
from .render import Rendered, clinic_from, render

__all__ = ["Clinic", "Rendered", "build_sheet", "clinic_from", "clinic_from_file", "clinic_from_settings", "render",
           "sheet_texts"]
