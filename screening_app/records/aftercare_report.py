"""Reports of the after-treatment records: the lookback call list and the MedWatch summary.

Plain text and CSV, ready to copy; every word comes from resources/medwatch.toml.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
import tomllib
from functools import lru_cache

from ..resources import resource_path
from ..wording import say

LOOKBACK_COLUMNS = ("screening_id", "patient_name", "date_of_birth", "patient_id", "contact", "given_at", "amount",
                    "site", "follow_up", "recall_contact", "open_adverse_events")


@lru_cache(maxsize=1)
def medwatch_texts() -> dict:
    with open(resource_path("medwatch.toml"), "rb") as f:
        return tomllib.load(f)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A name like "=HYPERLINK(...)" must stay text when the CSV is opened in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def lookback_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LOOKBACK_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, c)) for c in LOOKBACK_COLUMNS])
    return out.getvalue()


def lookback_table(lot: str, recalled: bool, rows) -> str:
    head = (say("records.aftercare_report.lot_lot_recalled_call_list", lot=lot.strip())
            if recalled else say("records.aftercare_report.not_recalled", lot=lot.strip()))
    lines = [head, say("records.aftercare_report.patients_received", count=len(rows))]
    for i, r in enumerate(rows, 1):
        who = say("records.aftercare_report.who", name=r.patient_name, born=r.date_of_birth) + (
            say("records.aftercare_report.who_id", patient_id=r.patient_id) if r.patient_id else "")
        lines.append(f"{i:3}. {who}")
        lines.append(say("records.aftercare_report.given", given_at=r.given_at[:16].replace("T", " "),
                         amount=r.amount, site=r.site))
        lines.append(say("records.aftercare_report.contact",
                         contact=r.contact or say("records.aftercare_report.none_recorded")))
        lines.append(say("records.aftercare_report.follow_up", follow_up=r.follow_up))
        if recalled:
            lines.append(say("records.aftercare_report.recall_call", recall_contact=r.recall_contact))
        if r.open_adverse_events:
            lines.append(say("records.aftercare_report.open_adverse_events", events=r.open_adverse_events))
    return "\n".join(lines) + "\n"


def _age(date_of_birth: str, on: str) -> str:
    try:
        born, day = dt.date.fromisoformat(date_of_birth), dt.date.fromisoformat(on)
    except ValueError:
        return date_of_birth
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return say("records.aftercare_report.age", years=years, born=date_of_birth)


def medwatch_fields(facts: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section, [(field label, value)]) for one adverse event, in the order of form 3500.
    `facts` is what Store.medwatch_facts returns."""
    w = medwatch_texts()
    f, fill = w["fields"], w["fill_in"]
    event, record, given = facts["event"], facts["record"], facts["administration"]
    settings, product = facts["settings"], facts["product"]
    patient = record.screening_file.get("patient", {})
    treatment = record.screening_file.get("treatment", {})
    name_initials = "".join(part[0] for part in patient.get("name", "").split() if part).upper()
    seriousness = [w["seriousness"][x] for x in event.seriousness] or [w["seriousness"]["not_serious"]]
    given_at = (given.given_at or "")[:10] if given and given.given else ""
    dose = f"{given.amount} {given.unit}" if given and given.given else fill
    route = w["routes"].get((given.route if given and given.given else treatment.get("route")) or "", fill)
    site = f"{given.site}; {given.procedure}" if given and given.given else (treatment.get("area") or fill)
    clinic = ", ".join(x for x in (settings.clinic_name, settings.clinic_address) if x)
    sections = [
        ("patient", [
            (f["patient_identifier"], name_initials or fill),
            (f["age"], _age(patient.get("date_of_birth", ""), event.onset)),
            (f["sex"], fill), (f["weight"], fill), (f["ethnicity_race"], fill)]),
        ("event", [
            (f["kind"], f["kind_value"]),
            (f["outcomes"], "; ".join(seriousness)),
            *([(f["death_date"], fill)] if "death" in event.seriousness else []),
            (f["event_date"], event.onset),
            (f["report_date"], event.reported_on or dt.date.today().isoformat()),
            (f["description"], event.description),
            (f["treatment"], event.treatment or w["none"]),
            (f["patient_outcome"], w["outcome"][event.outcome]),
            (f["tests"], fill), (f["history"], fill)]),
        ("product", [
            (f["product_name"], product.get("name") or fill),
            (f["manufacturer"], fill),
            (f["product_id"], product.get("ind_number") or fill),
            (f["lot"], (given.lot if given and given.given else record.lot) or fill),
            *([(f["suspected_lot"], event.suspected_lot)]
              if event.suspected_lot and event.suspected_lot != (given.lot if given else record.lot) else []),
            (f["dose"], dose), (f["frequency"], w["fixed"]["frequency"]), (f["route"], route), (f["site"], site),
            (f["dates"], f"{given_at} to {given_at}" if given_at else fill),
            (f["reason"], w["fixed"]["reason"]), (f["product_type"], w["fixed"]["product_type"]),
            (f["expiry"], product.get("expiry") or fill),
            (f["dechallenge"], fill), (f["rechallenge"], fill)]),
        ("other", [(f["concomitant"], fill)]),
        ("reporter", [
            (f["reporter_name"], ", ".join(x for x in (facts["reporter"], clinic) if x)),
            (f["reporter_phone"], settings.clinic_phone or fill),
            (f["reporter_email"], fill),
            (f["health_professional"], w["yes"]), (f["occupation"], fill), (f["also_reported"], fill),
            (f["fda_reported"], f"{w['yes']}, {event.reported_on}" if event.reported_to_fda else w["no"]),
            *([(f["fda_report_id"], event.fda_report_id)] if event.fda_report_id else [])]),
    ]
    return [(w["sections"][key], rows) for key, rows in sections]


def medwatch_text(facts: dict, *, made: str | None = None) -> str:
    w = medwatch_texts()
    event = facts["event"]
    lines = [w["title"], "=" * len(w["title"]),
             textwrap.fill(w["intro"].format(fill_in=w["fill_in"]), width=88), ""]
    for section, rows in medwatch_fields(facts):
        lines += [section, "-" * len(section)]
        for label, value in rows:
            lines.append(f"{label}:")
            lines.append(textwrap.fill(str(value), width=88, initial_indent="    ", subsequent_indent="    ",
                                       replace_whitespace=False))
        lines.append("")
    lines.append(textwrap.fill(w["footer"].format(
        made=made or dt.datetime.now().isoformat(timespec="minutes"), reporter=facts["reporter"],
        event_id=event.id, recorded_at=event.recorded_at[:16], recorded_by=event.recorded_by), width=88))
    return "\n".join(lines) + "\n"


def medwatch_pdf(facts: dict, *, made: str | None = None) -> bytes:
    """The same summary as a printable PDF (the fields of form 3500 in its order), for the
    clinic to print or keep with the patient's records and copy into FDA's online form."""
    from ..sheets.form_summary import form_summary_pdf  # reportlab only when a summary is made
    w = medwatch_texts()
    event = facts["event"]
    footer = w["footer"].format(
        made=made or dt.datetime.now().isoformat(timespec="minutes"), reporter=facts["reporter"],
        event_id=event.id, recorded_at=event.recorded_at[:16], recorded_by=event.recorded_by)
    return form_summary_pdf(w["title"], w["intro"].format(fill_in=w["fill_in"]), medwatch_fields(facts), footer,
                            warning=w["pdf_warning"])
