"""Ensure every source a clinic sees can be looked up: rules, questions and sheet risks cite
references.toml by id, unknown ids are refused, and no internal name reaches a clinic."""
import io
import json
import re
import shutil
import tomllib

import pytest
from conftest import all_answers, screening_file
from pypdf import PdfReader

from screening_app.resources import resource_dir
from screening_app.screening import ContentError, default_content, load_content, read_screening, screen
from screening_app.screening.references import load_references
from screening_app.sheets import Clinic, build_sheet, sheet_texts
from screening_app.sheets.document import sheet_problems

# Names of the project's own notes, which no clinic can look up.
INTERNAL = re.compile(r"clinical brief|\bbrief\b|seed clinician|rule table|\bseed\b", re.IGNORECASE)


@pytest.fixture
def content_dir(tmp_path):
    for name in ("questionnaire.toml", "rules.toml", "references.toml"):
        shutil.copy(resource_dir() / name, tmp_path / name)
    return tmp_path


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_reference_has_a_citation_an_address_and_a_check_date():
    problems = []
    refs = load_references(None, problems)
    assert problems == [] and len(refs) >= 13
    for ref in refs.values():
        assert ref.citation and ref.url.startswith("https://") and ref.verified.year >= 2026
        assert ref.doi == "" or ref.url == f"https://doi.org/{ref.doi}"


def test_every_rule_question_check_and_advice_cites_known_references():
    c = default_content()
    for item in (*c.rules, *c.questions, *c.checks.values(), c.blood_donation):
        assert item.references, item
        assert all(r.id in c.references for r in item.references)
        assert item.source.endswith(".") and all(r.citation.rstrip(".") in item.source for r in item.references)


def test_every_risk_on_the_sheet_cites_known_references():
    texts = sheet_texts()
    assert sheet_problems(texts, default_content().references) == []
    risks = [item for s in texts["consent"]["section"] for item in s.get("items", [])]
    risks += [item for t in texts["procedure_risks"].values() for item in t["items"]]
    assert len(risks) >= 15 and all(item["references"] for item in risks)


def test_a_risk_without_sources_or_with_an_unknown_id_is_refused():
    texts = tomllib.loads((resource_dir() / "sheet.toml").read_text(encoding="utf-8"))
    texts["procedure_risks"]["laser"]["items"][0]["references"] = ["made-up-2020"]
    texts["consent"]["section"][2]["items"][0] = "Infection."
    problems = sheet_problems(texts, default_content().references)
    assert any("procedure_risks.laser item 1.references: unknown id 'made-up-2020'" in p for p in problems)
    assert any("Risks' item 1: must be" in p for p in problems)


def test_loader_refuses_an_unknown_reference_id(content_dir):
    edit(content_dir / "rules.toml", '"zhu-2012-tumor-growth"', '"zhu-2021-tumor-growth"')
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    assert any("rules.toml: rule[0].references: unknown id 'zhu-2021-tumor-growth'" in p for p in exc.value.problems)


def test_loader_refuses_a_question_without_references_and_an_old_source_line(content_dir):
    edit(content_dir / "questionnaire.toml",
         'references = ["fda-2020-consumer-alert", "rahman-2025-exosomes-exposed"]',
         'source = "Clinical brief, further questions."')
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    problems = "\n".join(exc.value.problems)
    assert "question pregnant_or_breastfeeding.source: cite sources as references" in problems
    assert "question pregnant_or_breastfeeding.references: must be a non-empty list" in problems


def test_loader_refuses_a_reference_without_an_address(content_dir):
    edit(content_dir / "references.toml", 'url = "https://www.isev.org/', 'web = "https://www.isev.org/')
    with pytest.raises(ContentError, match="reference isev-2020-patient-notice: needs a url or a doi"):
        load_content(content_dir)


def test_clinic_policy_rules_say_so():
    c = default_content()
    do_not_treat = [r for r in c.rules if r.outcome.value == "do_not_treat"]
    assert do_not_treat and all(r.policy.startswith("Clinic policy: ") for r in do_not_treat)
    assert all("Clinic policy: " in r.source for r in do_not_treat)
    # "don't know" needs a clinician: the model is the Immunize.org checklist, and it is cited
    dont_know = [r for r in c.rules if [a.value for a in r.answers] == ["dont_know"]]
    assert dont_know and all("immunize-p4065-screening-checklist" in {x.id for x in r.references} for r in dont_know)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_no_internal_name_in_any_text_a_clinic_sees(tmp_path):
    seen = []
    # the files a clinic reads and edits, comments included
    for name in ("questionnaire.toml", "rules.toml", "references.toml", "sheet.toml", "case_findings.toml"):
        seen.append((name, (resource_dir() / name).read_text(encoding="utf-8")))
    c = default_content()
    for q in c.questions:
        seen.append((q.id, " ".join([q.text, q.rationale, q.source, *(f.prompt for f in q.follow_ups)])))
    for r in (*c.rules, *c.checks.values()):
        seen.append((r.reason, r.reason + r.source))
    # every finding, as the clinician's screen and --json show it, and every kind of sheet
    for answers in (all_answers("yes"), all_answers("dont_know"), all_answers("no")):
        for route in ("topical", "injection", "intravenous"):
            data = screening_file(answers=answers, treatment={"route": route},
                                  patient={"name": "Mia", "date_of_birth": "2019-01-01"})
            s = read_screening(json.dumps(data))
            result = screen(s)
            seen.append(("json", json.dumps(result.to_json())))
            pdf = build_sheet(s, result, clinic=Clinic("R", "", "1"))
            seen.append(("sheet", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)))
    leaks = [(where[:40], m.group(0)) for where, text in seen for m in [INTERNAL.search(text)] if m]
    assert leaks == []


def test_the_internal_name_check_finds_one():
    assert INTERNAL.search("Source: clinical brief, rule table") and INTERNAL.search("Seed clinician practice")


def test_cancer_wording_matches_the_sources():
    """No primary report of recurrence in remission was found: cancer "may" grow, never "has come back"."""
    texts = [*_strings(sheet_texts())]
    c = default_content()
    texts += [r.reason for r in c.rules] + [q.rationale for q in c.questions]
    came_back = re.compile(r"(has|have) come back|recurrence has been reported|came back", re.IGNORECASE)
    assert [t[:60] for t in texts if came_back.search(t)] == []
    cancer_rules = [r for r in c.rules if r.question == "cancer_history" and "yes" in {a.value for a in r.answers}]
    assert cancer_rules and all(" may " in r.reason for r in cancer_rules)


def test_json_findings_carry_full_references(write_screening):
    s = read_screening(json.dumps(screening_file(answers=all_answers(active_malignancy="yes"))))
    finding = screen(s).to_json()["findings"][0]
    ids = [r["id"] for r in finding["references"]]
    assert ids[0] == "zhu-2012-tumor-growth"
    assert finding["references"][0] == {
        "id": "zhu-2012-tumor-growth",
        "citation": "Zhu W, et al. Exosomes derived from human bone marrow mesenchymal stem cells promote tumor "
                    "growth in vivo. Cancer Letters. 2012;315(1):28-37.",
        "url": "https://doi.org/10.1016/j.canlet.2011.10.002"}
    assert finding["source"].startswith("Clinic policy: ") and "Zhu W, et al." in finding["source"]
