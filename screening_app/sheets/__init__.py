"""The patient sheet: screening result in, PDF bytes out (reportlab). No Qt."""
from .document import Clinic, build_sheet, clinic_from_file, clinic_from_settings, sheet_texts
from .readability import fk_grade

__all__ = ["Clinic", "build_sheet", "clinic_from_file", "clinic_from_settings", "fk_grade", "sheet_texts"]
