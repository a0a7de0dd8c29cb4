"""Ensure a failed lot, no lot, an impossible value or a past date never yields a signable consent:
through the core's one rule, the sheet, and the `screen` command run as an integrator runs it."""
import datetime as dt
import io
import json
import math
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import GOOD_PRODUCT, TODAY, all_answers, screening_file
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from test_sheets import fk_grade  # the project's one readability measure

from screening_app.screening import Route, default_content, evaluate, read_screening, screen
from screening_app.screening.consent import Decision, Review, ReviewDecision, SheetKind, sheet_kind
from screening_app.screening.intake import InputRefused
from screening_app.screening.model import Outcome, ProductCheck
from screening_app.screening.product import (
    ABSOLUTE_ZERO_C,
    FIELDS_BY_KEY,
    PRODUCT_FIELDS,
    ind_digits,
    malformed_product,
    verify_product,
)
from screening_app.sheets import Clinic, build_sheet

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = default_content().product
SIGNABLE_WORDS = ("Patient signature", "Clinician signature", "I agree to have this treatment", "Your consent")
FAILING_LOT = dict(GOOD_PRODUCT, lot="EV-1", coa_lot_matches=False, expiry="2021-06-30", storage_c=-20)


def run(*args, stdin=None, env=None):
    return subprocess.run([sys.executable, "-m", "screening_app", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env or dict(os.environ), timeout=60)


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


CLINIC_SECTION = {"name": "Riverside Skin & Wellness", "phone": "(217) 555-0147"}


def screen_pdf(write_screening, tmp_path, data):
    data = dict(data, clinic=data.get("clinic", CLINIC_SECTION))  # a sheet must say whom to call
    out = tmp_path / "sheet.pdf"
    proc = run("screen", str(write_screening(data)), "--json", "--pdf", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout), pdf_text(out.read_bytes())


def assert_nothing_to_sign(text: str):
    for words in SIGNABLE_WORDS:
        assert words not in text, words
    # Nothing for the patient to sign; the clinician's electronic signature (a record of the
    # review, printed by the store's sheet) is the only signature such a sheet may name.
    assert "signature" not in text.lower().replace("electronic signature", "")


# --- the one rule ---------------------------------------------------------------------------

def result_with(product, answers=None, route=Route.TOPICAL, **kw):
    return evaluate(answers or all_answers(), route, product=product, **kw)


def test_consent_only_with_a_checked_and_verified_lot():
    assert sheet_kind(result_with(GOOD_PRODUCT)) is SheetKind.CONSENT
    assert sheet_kind(result_with(None)) is SheetKind.LOT_NOT_CHECKED
    assert sheet_kind(result_with(FAILING_LOT)) is SheetKind.LOT_NOT_VERIFIED
    assert sheet_kind(result_with({})) is SheetKind.LOT_NOT_VERIFIED


def test_the_lot_given_explicitly_overrides_the_results_own():
    result = result_with(GOOD_PRODUCT)
    assert sheet_kind(result, product=None) is SheetKind.LOT_NOT_CHECKED
    assert sheet_kind(result, product=ProductCheck("EV-1", ("Expired.",), TODAY)) is SheetKind.LOT_NOT_VERIFIED
    assert sheet_kind(result_with(None), product=ProductCheck("EV-1", (), TODAY)) is SheetKind.CONSENT


def test_a_lot_checked_for_an_earlier_day_is_no_check():
    yesterday = TODAY - dt.timedelta(days=1)
    stale = ProductCheck("EV-2291", (), yesterday)
    assert sheet_kind(result_with(None), product=stale) is SheetKind.LOT_NOT_CHECKED
    assert sheet_kind(result_with(None), product=stale, today=yesterday) is SheetKind.CONSENT


def test_outcome_and_review_still_come_first():
    dnt = result_with(GOOD_PRODUCT, all_answers(active_malignancy="yes"))
    assert sheet_kind(dnt) is SheetKind.DO_NOT_TREAT
    review = result_with(GOOD_PRODUCT, all_answers(cancer_history="yes"))
    assert sheet_kind(review) is SheetKind.AWAITING_REVIEW
    proceed = Review("Dr. Maya Chen", dt.datetime(2026, 11, 22, 10, 30),
                     {"cancer_history": ReviewDecision(Decision.PROCEED, "Skin cancer removed 2012.")})
    assert sheet_kind(review, proceed) is SheetKind.CONSENT
    assert sheet_kind(result_with(FAILING_LOT, all_answers(cancer_history="yes")), proceed) \
        is SheetKind.LOT_NOT_VERIFIED
    assert sheet_kind(result_with(None, all_answers(cancer_history="yes")), proceed) is SheetKind.LOT_NOT_CHECKED


def test_only_the_consent_kind_is_signable():
    assert [k for k in SheetKind if k.signable] == [SheetKind.CONSENT]


# --- the sheet ---------------------------------------------------------------------------------

def sheet_for(product, **overrides):
    data = screening_file(**overrides)
    if product is None:
        del data["product"]
    else:
        data["product"] = product
    s = read_screening(json.dumps(data))
    result = screen(s)
    return sheet_kind(result, s.review), build_sheet(s, result, clinic=Clinic("Riverside", "", "555-0100"))


def test_failing_lot_sheet_says_why_and_has_nothing_to_sign():
    kind, pdf = sheet_for(FAILING_LOT)
    assert kind is SheetKind.LOT_NOT_VERIFIED
    text = pdf_text(pdf)
    assert "This lot has not passed its checks: it must not be used" in text
    assert "EV-1 (has not passed its checks: must not be used)" in text
    assert_nothing_to_sign(text)


def test_no_lot_sheet_says_the_lot_is_not_checked_and_has_nothing_to_sign():
    kind, pdf = sheet_for(None)
    assert kind is SheetKind.LOT_NOT_CHECKED
    text = pdf_text(pdf)
    assert "The lot has not been checked yet" in text and "Not a consent form" in text
    assert "Cancer growth" in text  # the risks can be read while waiting
    assert_nothing_to_sign(text)


@pytest.mark.parametrize("product", [None, FAILING_LOT], ids=["no-lot", "failing-lot"])
def test_lot_sheets_read_at_grade_8_or_lower(product):
    _, pdf = sheet_for(product)
    assert fk_grade(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)) <= 8.0


def test_procedure_is_printed_on_the_sheet():
    _, pdf = sheet_for(GOOD_PRODUCT, treatment={"route": "topical", "procedure": "microneedling"})
    assert "Procedure Microneedling" in pdf_text(pdf)


# --- screen, run as an integrator runs it -----------------------------------------------------

def test_screen_pdf_with_the_failing_lot_of_the_issue_prints_nothing_to_sign(write_screening, tmp_path):
    out, text = screen_pdf(write_screening, tmp_path, screening_file(product=FAILING_LOT))
    assert out["sheet_kind"] == "lot_not_verified" and out["product"]["status"] == "not_verified"
    problems = " ".join(out["product"]["problems"])
    assert "Expired on 2021-06-30" in problems and "warmer" in problems and "Certificate of Analysis" in problems
    assert "has not passed its checks" in text
    assert_nothing_to_sign(text)


def test_screen_pdf_without_a_product_prints_nothing_to_sign(write_screening, tmp_path):
    data = screening_file()
    del data["product"]
    out, text = screen_pdf(write_screening, tmp_path, data)
    assert out["sheet_kind"] == "lot_not_checked" and "product" not in out
    assert "The lot has not been checked yet" in text
    assert_nothing_to_sign(text)


def test_screen_pdf_with_a_verified_lot_is_the_consent(write_screening, tmp_path):
    out, text = screen_pdf(write_screening, tmp_path, screening_file())
    assert out["sheet_kind"] == "consent"
    assert "Patient signature" in text and "EV-2291" in text


def test_human_summary_names_the_sheet(write_screening):
    proc = run("screen", str(write_screening(screening_file(product=FAILING_LOT))))
    assert proc.returncode == 0
    assert "Sheet: this lot has not passed its checks: it must not be used; nothing to sign" in proc.stdout.decode()


def refused(write_screening, tmp_path, data, expected: str):
    out = tmp_path / "refused.pdf"
    proc = run("screen", str(write_screening(data if isinstance(data, str) else json.dumps(data))), "--json",
               "--pdf", str(out))
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.stdout, err)
    assert expected in err, err
    assert "Traceback" not in err and proc.stdout == b"" and not out.exists()
    return err


@pytest.mark.parametrize("changes,expected", [
    ({"storage_c": -300}, "product.storage_c: -300 is below absolute zero"),
    ({"storage_c": -273.16}, "product.storage_c: -273.16 is below absolute zero"),
    ({"storage_c": "-8_0"}, "product.storage_c: must be a number, not text"),
    ({"storage_c": "-80"}, "product.storage_c: must be a number, not text"),
    ({"storage_c": True}, "product.storage_c: must be a number, not true/false"),
    ({"freeze_thaw_cycles": -3}, "product.freeze_thaw_cycles: must be a whole number, 0 or more, not -3"),
    ({"freeze_thaw_cycles": 1.5}, "product.freeze_thaw_cycles: must be a whole number"),
    ({"freeze_thaw_cycles": 0.0}, "product.freeze_thaw_cycles: must be a whole number"),
    ({"maker_max_storage_c": -1000, "lyophilised": True}, "product.maker_max_storage_c: -1000 is below absolute zero"),
    ({"endotoxin_eu_per_ml": -1}, "product.endotoxin_eu_per_ml: -1 is below zero"),
    ({"ind_number": "N/A"}, "product.ind_number: 'N/A' is not an IND number"),
    ({"ind_number": "pending"}, "product.ind_number: 'pending' is not an IND number"),
    ({"ind_number": "0"}, "product.ind_number: '0' is not an IND number"),
    ({"ind_number": "IND 0000"}, "product.ind_number: 'IND 0000' is not an IND number"),
    ({"ind_number": "IND 12345678"}, "product.ind_number: 'IND 12345678' is not an IND number"),
    ({"ind_number": "IND 123"}, "product.ind_number: 'IND 123' is not an IND number"),
    ({"ind_number": "１２３４５"}, "product.ind_number: '１２３４５' is not an IND number"),
    ({"ind_number": 12345}, "product.ind_number: must be text"),
])
def test_impossible_product_values_are_refused_naming_the_field(write_screening, tmp_path, changes, expected):
    refused(write_screening, tmp_path, screening_file(product=dict(GOOD_PRODUCT, **changes)), expected)


@pytest.mark.parametrize("raw", ["-1e400", "1e400", "NaN", "-Infinity"])
def test_infinite_and_nan_temperatures_are_refused(write_screening, tmp_path, raw):
    text = json.dumps(screening_file()).replace('"storage_c": -80', f'"storage_c": {raw}')
    assert raw in text
    refused(write_screening, tmp_path, text, "product.storage_c: must be a finite number")


def test_underscored_number_is_not_json(write_screening, tmp_path):
    text = json.dumps(screening_file()).replace('"storage_c": -80', '"storage_c": -8_0')
    refused(write_screening, tmp_path, text, "screening file: not valid JSON")


@pytest.mark.parametrize("ind", ["IND 12345", "ind12345", "1234", "1234567", " IND  0012345 ", "IND 012 345"])
def test_real_ind_numbers_are_accepted(ind):
    assert ind_digits(ind) is not None
    assert verify_product(dict(GOOD_PRODUCT, ind_number=ind), SETTINGS, TODAY).verified


def test_past_treatment_date_is_refused(write_screening, tmp_path):
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    err = refused(write_screening, tmp_path, screening_file(treatment={"route": "topical", "date": yesterday}),
                  f"treatment.date: {yesterday} is in the past")
    refused(write_screening, tmp_path, screening_file(treatment={"route": "topical", "date": "2020-01-01"}),
            "treatment.date: 2020-01-01 is in the past")
    assert "today" in err


def test_expiry_is_checked_against_the_later_of_today_and_the_treatment_date(write_screening, tmp_path):
    later = TODAY + dt.timedelta(days=30)
    product = dict(GOOD_PRODUCT, expiry=(TODAY + dt.timedelta(days=10)).isoformat())
    out, text = screen_pdf(write_screening, tmp_path,
                           screening_file(product=product, treatment={"route": "topical", "date": later.isoformat()}))
    assert out["sheet_kind"] == "lot_not_verified"
    assert f"before the treatment date {later.isoformat()}" in out["product"]["problems"][0]
    assert_nothing_to_sign(text)
    # and never an earlier day than today, whatever date the core is given
    early = evaluate(all_answers(), Route.TOPICAL, product=dict(GOOD_PRODUCT, expiry=TODAY.isoformat()),
                     treatment_date=TODAY - dt.timedelta(days=5), today=TODAY + dt.timedelta(days=1))
    assert not early.product.verified


@pytest.mark.parametrize("changes,words", [
    ({"lyophilised": True, "storage_c": 37}, "Maker's storage limit"),
    ({"lyophilised": True, "storage_c": 37, "maker_max_storage_c": 25}, "warmer than the maker's limit of 25 C"),
    ({"lyophilised": True, "maker_max_storage_c": 25, "storage_c": None}, "Storage temperature: not shown"),
])
def test_freeze_dried_products_are_checked_against_the_makers_limit(write_screening, tmp_path, changes, words):
    out, text = screen_pdf(write_screening, tmp_path, screening_file(product=dict(GOOD_PRODUCT, **changes)))
    assert out["sheet_kind"] == "lot_not_verified"
    assert any(words in p for p in out["product"]["problems"]), out["product"]["problems"]
    assert_nothing_to_sign(text)


def test_freeze_dried_product_within_the_makers_limit_verifies(write_screening, tmp_path):
    out, _ = screen_pdf(write_screening, tmp_path, screening_file(
        product=dict(GOOD_PRODUCT, lyophilised=True, storage_c=4, maker_max_storage_c=8)))
    assert out["sheet_kind"] == "consent"


@pytest.mark.parametrize("procedure", ["microneedling", "laser"])
@pytest.mark.parametrize("answer", ["yes", "dont_know"])
def test_bleeding_risk_needs_review_with_microneedling_and_laser(write_screening, tmp_path, procedure, answer):
    data = screening_file(treatment={"route": "topical", "procedure": procedure},
                          answers=all_answers(bleeding_risk=answer))
    out, text = screen_pdf(write_screening, tmp_path, data)
    assert out["outcome"] == "clinician_review" and out["sheet_kind"] == "awaiting_review"
    assert [f["question"] for f in out["findings"]] == ["bleeding_risk"]
    assert_nothing_to_sign(text)


def test_bleeding_risk_on_intact_skin_raises_nothing(write_screening, tmp_path):
    for treatment in ({"route": "topical"}, {"route": "topical", "procedure": "none"}):
        out, _ = screen_pdf(write_screening, tmp_path, screening_file(treatment=treatment,
                                                                      answers=all_answers(bleeding_risk="yes")))
        assert out["outcome"] == "no_contraindication_found"


@pytest.mark.parametrize("treatment,expected", [
    ({"route": "injection", "procedure": "microneedling"},
     "treatment.procedure: microneedling is only for the topical"),
    ({"route": "intravenous", "procedure": "laser"}, "treatment.procedure: laser is only for the topical"),
    ({"route": "topical", "procedure": "dermabrasion"},
     "treatment.procedure: must be one of none, microneedling, laser"),
    ({"route": "topical", "procedure": True}, "treatment.procedure: must be one of"),
])
def test_a_procedure_that_does_not_fit_is_refused(write_screening, tmp_path, treatment, expected):
    refused(write_screening, tmp_path, screening_file(treatment=treatment), expected)


# --- the product check table ---------------------------------------------------------------

def check(**changes):
    return verify_product(dict(GOOD_PRODUCT, **changes), SETTINGS, TODAY)


def test_a_recalled_lot_never_verifies_however_it_is_written():
    for recalled in (["EV-2291"], ["ev-2291"], [" EV 2291"], ["EV\u20112291"], ["EV–2291"]):
        result = verify_product(GOOD_PRODUCT, SETTINGS, TODAY, recalled_lots=recalled)
        assert not result.verified and "recalled" in result.problems[0], recalled
    assert verify_product(GOOD_PRODUCT, SETTINGS, TODAY, recalled_lots=["EV-2292"]).verified
    s = read_screening(json.dumps(screening_file()))
    assert sheet_kind(screen(s, recalled_lots={"EV-2291"})) is SheetKind.LOT_NOT_VERIFIED


def test_optional_clinic_checks_are_off_by_default():
    assert SETTINGS.cytosolic_markers == () and SETTINGS.negative_markers == ()
    assert SETTINGS.require_particle_count is False and SETTINGS.max_endotoxin_eu_per_ml is None
    assert check(endotoxin_eu_per_ml=1000).verified  # no limit set: nothing invented


def test_misev_extras_when_the_clinic_sets_them():
    strict = replace(SETTINGS, cytosolic_markers=("TSG101", "ALIX"), negative_markers=("calnexin",),
                     require_particle_count=True)
    problems = verify_product(GOOD_PRODUCT, strict, TODAY).problems
    assert len(problems) == 3
    assert any("Cytosolic marker" in p for p in problems)
    assert any("calnexin not shown as absent" in p for p in problems)
    assert any("Particle count" in p for p in problems)
    full = dict(GOOD_PRODUCT, markers=["CD9", "CD63", "CD81", "tsg101"], absent_markers=["Calnexin"],
                particle_count_per_ml=2.5e10)
    assert verify_product(full, strict, TODAY).verified
    assert not verify_product(dict(full, particle_count_per_ml=0), strict, TODAY).verified


def test_endotoxin_limit_is_checked_when_the_certificate_gives_a_value():
    limited = replace(SETTINGS, max_endotoxin_eu_per_ml=0.5)
    assert verify_product(GOOD_PRODUCT, limited, TODAY).verified  # no value given: the yes/no result counts
    assert verify_product(dict(GOOD_PRODUCT, endotoxin_eu_per_ml=0.5), limited, TODAY).verified
    (problem,) = verify_product(dict(GOOD_PRODUCT, endotoxin_eu_per_ml=0.6), limited, TODAY).problems
    assert "above the clinic's limit of 0.5 EU/mL" in problem


def test_verification_names_impossible_values_even_without_intake():
    for changes in ({"storage_c": float("nan")}, {"storage_c": float("-inf")}, {"storage_c": -300},
                    {"freeze_thaw_cycles": -3}, {"ind_number": "pending"}, {"storage_c": 10 ** 400},
                    {"expiry": "2027-02-30"}, {"markers": "CD9"}, {"coa_lot_matches": "yes"}):
        result = check(**changes)
        assert not result.verified and "not a possible value" in result.problems[0], changes


def test_every_field_is_declared_once_with_a_type_label_and_check():
    keys = [f.key for f in PRODUCT_FIELDS]
    assert len(keys) == len(set(keys)) and set(keys) == set(FIELDS_BY_KEY)
    for f in PRODUCT_FIELDS:
        assert f.label[0].isupper() and f.how and f.verify, f.key
        assert f.staff_message().startswith(f.short_label + ": "), f.key


def test_staff_messages_are_in_staff_words():
    assert FIELDS_BY_KEY["storage_c"].staff_message() == "Storage temperature: type a number such as -80"
    assert FIELDS_BY_KEY["freeze_thaw_cycles"].staff_message() == \
        "Freeze-thaw cycles: type a whole number, 0 or more, such as 0"
    assert "IND 12345" in FIELDS_BY_KEY["ind_number"].staff_message()


@pytest.mark.parametrize("typed,value", [
    ("-80", -80), ("\u221280", -80), ("-80.5", -80.5), ("-8_0", "-8_0"), ("1e3", "1e3"), ("inf", "inf"),
    ("nan", "nan"), ("٣", "٣"), ("", None),
])
def test_typed_temperatures_are_read_strictly(typed, value):
    assert FIELDS_BY_KEY["storage_c"].from_text(typed) == value


def test_typed_counts_and_particle_counts():
    assert FIELDS_BY_KEY["freeze_thaw_cycles"].from_text("2") == 2
    assert FIELDS_BY_KEY["freeze_thaw_cycles"].from_text("1.0") == "1.0"
    assert FIELDS_BY_KEY["particle_count_per_ml"].from_text("2.5e10") == 2.5e10
    assert FIELDS_BY_KEY["particle_count_per_ml"].from_text("1e999") == "1e999"


# --- hypothesis: the check never verifies an impossible value --------------------------------

def _impossible_temperature():
    return st.one_of(
        st.floats(max_value=ABSOLUTE_ZERO_C, exclude_max=True, allow_nan=False, allow_infinity=False),
        st.sampled_from([math.nan, math.inf, -math.inf, 10 ** 400, -(10 ** 400)]),
        st.integers(max_value=-274),
        st.text(max_size=8), st.booleans(), st.lists(st.integers(), max_size=2))


def _impossible_count():
    return st.one_of(st.integers(max_value=-1),
                     st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: True),
                     st.text(max_size=6), st.booleans())


def _impossible_ind():
    return st.one_of(
        st.text(max_size=12).filter(lambda s: ind_digits(s) is None),
        st.sampled_from(["N/A", "pending", "0", "000", "IND 0000", "IND 0000000", "n/a", "TBD", "none"]),
        st.integers(), st.none().map(lambda _: 12345.0))


IMPOSSIBLE = st.one_of(
    st.tuples(st.just("storage_c"), _impossible_temperature()),
    st.tuples(st.just("maker_max_storage_c"), _impossible_temperature()),
    st.tuples(st.just("freeze_thaw_cycles"), _impossible_count()),
    st.tuples(st.just("ind_number"), _impossible_ind()),
    st.tuples(st.just("endotoxin_eu_per_ml"), st.one_of(st.floats(max_value=-1e-9, allow_nan=False),
                                                        st.just(math.nan), st.just(math.inf))),
    st.tuples(st.just("expiry"), st.one_of(st.text(max_size=12).filter(lambda s: not re.fullmatch(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s.strip())), st.just("2027-02-30"), st.integers())),
)


@settings(max_examples=400, deadline=None)
@given(IMPOSSIBLE, st.booleans(), st.dates(min_value=TODAY, max_value=TODAY + dt.timedelta(days=60)))
def test_the_check_never_verifies_an_impossible_value(item, freeze_dried, day):
    key, value = item
    product = dict(GOOD_PRODUCT, **{key: value})
    if freeze_dried:
        product.update(lyophilised=True, maker_max_storage_c=product.get("maker_max_storage_c", 8))
    assert malformed_product(product), (key, value)
    assert not verify_product(product, SETTINGS, day).verified, (key, value)
    with pytest.raises(InputRefused):
        from screening_app.screening import parse_screening
        parse_screening(screening_file(product=product))


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=ABSOLUTE_ZERO_C, max_value=SETTINGS.max_storage_c),
       st.integers(min_value=0, max_value=SETTINGS.max_freeze_thaw_cycles))
def test_possible_cold_enough_values_verify(storage, cycles):
    assert check(storage_c=storage, freeze_thaw_cycles=cycles).verified


def test_outcome_is_untouched_by_the_lot():
    assert result_with(FAILING_LOT).outcome is Outcome.NO_CONTRAINDICATION_FOUND


# --- the store's API: it calls the same rule ----------------------------------------------------

from test_store import complete_draft  # noqa: E402  (the store and people fixtures are conftest's)


def _finish(store, people, product, **draft_changes):
    d = complete_draft()
    for key, value in draft_changes.items():
        setattr(d, key, value)
    row = store.new_draft(people["desk"], d.to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    claimed = store.claim(people["doc"], row.id)
    if product is not None:
        d.product = dict(product)
    return store.finish(people["doc"], row.id, version=claimed.row_version, screening_file=d.to_screening_file())


@pytest.mark.parametrize("product", [FAILING_LOT, None, {}], ids=["failing-lot", "no-lot", "empty-lot"])
def test_the_store_finishes_no_treatable_screening_without_a_verified_lot(store, people, product):
    from screening_app.records.store import StoreError
    with pytest.raises(StoreError, match="needs a product lot that passed every check"):
        _finish(store, people, product)


def test_the_store_records_a_consent_with_a_verified_lot(store, people):
    record = _finish(store, people, GOOD_PRODUCT)
    assert record.sheet_kind == "consent" and record.lot_verified is True
    assert "Patient signature" in pdf_text(record.pdf)


def test_the_store_still_records_a_do_not_treat_sheet_without_a_lot(store, people):
    record = _finish(store, people, None, answers=all_answers(active_malignancy="yes"))
    assert record.sheet_kind == "do_not_treat"
    assert_nothing_to_sign(pdf_text(record.pdf))


def test_the_store_refuses_a_past_treatment_date(store, people):
    from screening_app.records.store import StoreError
    with pytest.raises(StoreError, match="treatment.date: .* is in the past"):
        _finish(store, people, GOOD_PRODUCT, treatment_date=(TODAY - dt.timedelta(days=1)).isoformat())
