"""Product lot verification (clinical brief, "Product verification before use").

A lot is verified only when every check holds. A missing value counts as not shown,
never as passed, and each problem is said in words staff understand.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .model import ProductCheck

# The fields a product record may carry, with the type each must have. Intake uses this
# to refuse malformed files; verification reads the same names.
PRODUCT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "lot": str,
    "name": str,
    "coa_lot_matches": bool,
    "markers": list,
    "sterility_tested": bool,
    "endotoxin_tested": bool,
    "mycoplasma_tested": bool,
    "donor_screened": bool,
    "gmp_facility": bool,
    "ind_number": str,
    "storage_c": (int, float),
    "lyophilised": bool,
    "freeze_thaw_cycles": int,
    "expiry": str,
}

_YES_NO_CHECKS = (
    ("coa_lot_matches", "Certificate of Analysis for this lot, with a lot number that matches the vial"),
    ("sterility_tested", "sterility test result on the Certificate of Analysis"),
    ("endotoxin_tested", "endotoxin test result on the Certificate of Analysis"),
    ("mycoplasma_tested", "mycoplasma test result on the Certificate of Analysis"),
    ("donor_screened", "donor screening for HIV-1/2, hepatitis B and hepatitis C (21 CFR 1271)"),
    ("gmp_facility", "made in a cGMP facility registered with FDA"),
)


def _text(product: Mapping, key: str) -> str:
    value = product.get(key)
    return value.strip() if isinstance(value, str) else ""


def verify_product(product: Mapping, settings, on_date: dt.date) -> ProductCheck:
    """Checks one lot against the clinic's settings, for use on `on_date`."""
    problems: list[str] = []
    lot = _text(product, "lot") or None
    if lot is None:
        problems.append("Lot number: not shown.")

    for key, what in _YES_NO_CHECKS:
        value = product.get(key)
        if value is None:
            problems.append(f"{what[0].upper()}{what[1:]}: not shown.")
        elif value is not True:
            problems.append(f"{what[0].upper()}{what[1:]}: failed or not confirmed.")

    markers = product.get("markers")
    if not isinstance(markers, list) or not markers:
        problems.append("Vesicle markers (" + ", ".join(settings.required_markers) + "): not shown.")
    else:
        reported = {str(m).strip().upper() for m in markers}
        missing = [m for m in settings.required_markers if m.upper() not in reported]
        if missing:
            problems.append("Vesicle markers not reported on the Certificate of Analysis: " + ", ".join(missing) + ".")

    if not _text(product, "ind_number"):
        problems.append("IND number (the FDA investigation this product is given under): not shown.")

    if product.get("lyophilised") is not True:
        storage = product.get("storage_c")
        if storage is None or isinstance(storage, bool):
            problems.append("Storage temperature: not shown.")
        elif storage > settings.max_storage_c:
            problems.append(f"Stored at {storage:g} C, warmer than the required {settings.max_storage_c:g} C or below.")

    cycles = product.get("freeze_thaw_cycles")
    if cycles is None or isinstance(cycles, bool):
        problems.append("Number of freeze-thaw cycles: not shown.")
    elif cycles > settings.max_freeze_thaw_cycles:
        problems.append(f"Thawed and refrozen: {cycles} freeze-thaw cycles, more than the "
                        f"{settings.max_freeze_thaw_cycles} allowed.")

    expiry_text = _text(product, "expiry")
    if not expiry_text:
        problems.append("Expiry date: not shown.")
    else:
        try:
            expiry = dt.date.fromisoformat(expiry_text)
        except ValueError:
            problems.append(f"Expiry date {expiry_text!r} is not a date (YYYY-MM-DD).")
        else:
            if expiry < on_date:
                problems.append(f"Expired on {expiry.isoformat()}, before the treatment date {on_date.isoformat()}.")

    return ProductCheck(lot, tuple(problems))
