"""The clinic on the sheet: header, whom to call, the clinic's own consent texts and choices.
Comes from the clinic settings, or the screening file's `clinic` section."""
from __future__ import annotations

from dataclasses import dataclass

from ..screening.model import ClinicInfo


@dataclass(frozen=True)
class Clinic:
    name: str = ""
    address: str = ""
    phone: str = ""
    page_size: str = "letter"
    rights_contact: str = ""  # whom to contact about the patient's rights (21 CFR 50.25(a)(7))
    injury_text: str = ""  # care and who pays if the patient is injured (50.25(a)(6))
    costs_text: str = ""  # costs to the patient (50.25(b)(3))
    witness_line: bool = False
    interpreter_line: bool = False
    # A sheet in another language: the clinic's copy in English follows the patient's copy.
    english_copy: bool = False
    # The translation reviews the clinic's admin recorded (screening.localize.REVIEW_FORMAT):
    # a pack reviewed here prints no "translation awaits review" line.
    translation_reviews: str = ""

    @property
    def can_print(self) -> bool:
        """A patient sheet must say whom to call: a name and a phone number at least."""
        return bool(self.name.strip() and self.phone.strip())


def clinic_from_settings(settings) -> Clinic:
    """The sheet's clinic from the workstation's clinic settings (records.settings.ClinicSettings)."""
    def get(name, default=""):
        return getattr(settings, name, default)
    return Clinic(get("clinic_name"), get("clinic_address"), get("clinic_phone"), get("page_size", "letter"),
                  get("clinic_rights_contact"), get("clinic_injury_text"), get("clinic_costs_text"),
                  get("witness_line", False), get("interpreter_line", False),
                  get("clinic_copy_in_english", False), get("translation_reviews"))


def clinic_from_file(info: ClinicInfo, page_size: str = "letter") -> Clinic:
    """The sheet's clinic from the screening file's `clinic` section."""
    return Clinic(info.name, info.address, info.phone, page_size, info.rights_contact, info.injury_text,
                  info.costs_text)
