"""The screening wizard: front desk (patient, treatment, questions), then the clinician
(review, product lot, sheet).

The pages hold no state of their own: they show and edit a `casework.Draft`, and ask a
`casework.Flow` what is wrong and where Next leads. Qt stays in this package. One module per
group of pages: `intake` (patient details, planned treatment), `questions`, `review`,
`product` (the lot), `sheet`; `page` holds what they share and `shell` the window around them.
Every word on them comes from `resources/locale/<language>/LC_MESSAGES/wizard.po`.
"""
from .intake import PatientPage, TreatmentPage
from .page import Page, age_on, field_labels, is_dark, severity_colour
from .product import ProductPage
from .questions import ANSWER_KEYS, QuestionsPage
from .review import SEVERITY_ICON, ReviewPage
from .sheet import SheetPage
from .shell import PAGES, PREVIEW_STAFF, ScreeningWizard

__all__ = [
    "ANSWER_KEYS", "PAGES", "PREVIEW_STAFF", "SEVERITY_ICON", "Page", "PatientPage", "ProductPage", "QuestionsPage",
    "ReviewPage", "ScreeningWizard", "SheetPage", "TreatmentPage", "age_on", "field_labels", "is_dark",
    "severity_colour",
]
