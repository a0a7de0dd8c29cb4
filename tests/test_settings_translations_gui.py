"""Ensure the admin sees each translation's record beside the settings, and that recording a review
there (an audited setting) takes the pack off "awaiting review". (Goes with settings-translations.patch.)"""
from test_app_gui import store, window  # noqa: F401  (store: the fixture)

from screening_app.screening import default_content
from screening_app.screening.languages import pack_for
from screening_app.ui.translations import COLUMNS


def test_the_admin_records_a_translation_review_and_sees_it(qtbot, store):  # noqa: F811
    w = window(qtbot, store, "admin")
    records = w.settings_tab.translations.table
    status = COLUMNS.index("status")
    assert [records.item(r, status).text() for r in range(records.rowCount())] == \
        ["Awaiting review: sheets say so"] * 2
    pack = pack_for("es", default_content())
    review = f"es {pack.record.version} {pack.fingerprint}: Dr. Ana Ruiz, certified medical translator, 2026-12-01"
    w.settings_tab.fields["translation_reviews"].setText(review)
    w.save_settings()
    assert store.settings().translation_reviews == review
    assert records.item(0, status).text().startswith("Reviewed for this clinic by Dr. Ana Ruiz")
    assert any(e["action"] == "settings_changed" and "Dr. Ana Ruiz" in e["detail"]
               for e in store.audit_entries(w.staff))
