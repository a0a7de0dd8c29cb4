"""Ensure a lot is verified only when every check holds, and each problem is named."""
import datetime as dt

import pytest
from conftest import GOOD_PRODUCT, TODAY, all_answers

from screening_app.screening import Route, default_content, evaluate
from screening_app.screening.product import verify_product

SETTINGS = default_content().product


def check(**changes):
    product = dict(GOOD_PRODUCT)
    for key, value in changes.items():
        if value is ...:
            product.pop(key)
        else:
            product[key] = value
    return verify_product(product, SETTINGS, TODAY)


def test_good_lot_is_verified():
    result = check()
    assert result.verified and result.status == "verified" and result.problems == ()
    assert result.lot == "EV-2291"


@pytest.mark.parametrize("key,words", [
    ("lot", "Lot number"),
    ("coa_lot_matches", "Certificate of Analysis for this lot"),
    ("markers", "Vesicle markers"),
    ("sterility_tested", "Sterility"),
    ("endotoxin_tested", "Endotoxin"),
    ("mycoplasma_tested", "Mycoplasma"),
    ("donor_screened", "HIV-1/2, hepatitis B and hepatitis C"),
    ("gmp_facility", "cGMP facility"),
    ("ind_number", "IND number"),
    ("storage_c", "Storage temperature"),
    ("freeze_thaw_cycles", "freeze-thaw"),
    ("expiry", "Expiry date"),
])
def test_missing_item_counts_as_not_shown(key, words):
    result = check(**{key: ...})
    assert result.status == "not_verified"
    (problem,) = result.problems
    assert words in problem and "not shown" in problem


@pytest.mark.parametrize("key", ["coa_lot_matches", "sterility_tested", "endotoxin_tested",
                                 "mycoplasma_tested", "donor_screened", "gmp_facility"])
def test_failed_yes_no_check_is_named(key):
    (problem,) = check(**{key: False}).problems
    assert "failed or not confirmed" in problem


def test_each_missing_marker_is_named():
    (problem,) = check(markers=["CD9", "TSG101"]).problems
    assert "CD63" in problem and "CD81" in problem and "CD9," not in problem


def test_marker_names_are_matched_without_regard_to_case():
    assert check(markers=["cd9", "Cd63", "CD81 "]).verified


def test_storage_warmer_than_minus_80_fails_unless_freeze_dried_within_the_makers_limit():
    # Changed with issue 11: a freeze-dried product is checked against the maker's limit, and
    # a missing limit or storage temperature counts as not shown (it used to pass unchecked).
    assert "warmer" in check(storage_c=-20).problems[0]
    assert check(storage_c=-20, lyophilised=True, maker_max_storage_c=8).verified
    assert check(storage_c=8, lyophilised=True, maker_max_storage_c=8).verified
    assert check(storage_c=-196).verified


def test_repeated_freeze_thaw_fails_but_one_thaw_is_allowed():
    assert check(freeze_thaw_cycles=1).verified
    assert "freeze-thaw" in check(freeze_thaw_cycles=2).problems[0]


def test_expiry_is_checked_against_the_treatment_date():
    assert check(expiry=TODAY.isoformat()).verified
    (problem,) = check(expiry=(TODAY - dt.timedelta(days=1)).isoformat()).problems
    assert "Expired" in problem
    later = verify_product(GOOD_PRODUCT, SETTINGS, TODAY + dt.timedelta(days=400))
    assert not later.verified


def test_empty_product_names_every_check():
    result = verify_product({}, SETTINGS, TODAY)
    assert len(result.problems) == 12


def test_blank_text_counts_as_not_shown():
    assert "Lot number: not shown." in check(lot="   ").problems
    assert any("IND" in p for p in check(ind_number="").problems)


def test_product_check_does_not_change_the_patient_outcome():
    bad = evaluate(all_answers(), Route.TOPICAL, product={})
    assert bad.product.status == "not_verified"
    assert bad.outcome.value == "no_contraindication_found"
    assert evaluate(all_answers(), Route.TOPICAL).product is None
