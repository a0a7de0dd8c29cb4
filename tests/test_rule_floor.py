"""Ensure a rule set cannot be loosened: the clinical brief's rule table is a floor, a yes never
counts for less than a don't-know, and a shipped version number never carries other text.
Edited copies of resources/ are loaded by the core and by `screen`, as a clinic would."""
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import all_answers, screening_file

from screening_app.resources import resource_dir
from screening_app.screening import ContentError, Outcome, Route, default_content, evaluate, load_content
from screening_app.screening.content import FLOOR, SHIPPED_DIGESTS, shipped_digests, text_digest
from screening_app.screening.model import Procedure

ROOT = Path(__file__).resolve().parent.parent
RULES = default_content().rules_version
ACTIVE_CANCER_RULE = '''[[rule]]
question = "active_malignancy"
answers = ["yes"]
outcome = "do_not_treat"'''
INFLAMMATION_RULE = '''question = "systemic_inflammation"
answers = ["yes"]
outcome = "do_not_treat"'''


@pytest.fixture
def copy(tmp_path):
    """A clinic's own copy of resources/ (the whole folder, as the README tells them to make)."""
    target = tmp_path / "resources"
    shutil.copytree(resource_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def new_version(copy: Path, name="rules.toml", kind="rules", version="1.1.0-clinic.1") -> None:
    text = (copy / name).read_text(encoding="utf-8")
    text = re.sub(rf'(\[{kind}\]\nversion = )"[^"]+"', rf'\1"{version}"', text, count=1)
    (copy / name).write_text(text, encoding="utf-8")


def problems(directory: Path) -> str:
    with pytest.raises(ContentError) as exc:
        load_content(directory)
    return "\n".join(exc.value.problems)


def screen_with(copy: Path, data: dict, tmp_path: Path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    env = dict(os.environ, SCREENING_APP_RESOURCES=str(copy))
    return subprocess.run([sys.executable, "-m", "screening_app", "screen", str(path), "--json"],
                          capture_output=True, cwd=ROOT, env=env, timeout=60)


def test_the_shipped_files_match_their_recorded_digests():
    recorded = shipped_digests()
    for kind, name in (("questionnaire", "questionnaire.toml"), ("rules", "rules.toml")):
        with (resource_dir() / name).open("rb") as fh:
            data = tomllib.load(fh)
        version = data[kind]["version"]
        assert recorded[kind].get(version) == text_digest(data), (
            f"{name} {version} differs from resources/{SHIPPED_DIGESTS}: raise its version and run "
            "scripts/record-content-digests (a released version's text never changes)")


def test_the_first_release_is_recorded_too():
    recorded = shipped_digests()
    assert "1.0.0" in recorded["questionnaire"] and "1.0.0" in recorded["rules"]


def test_a_copy_loads_and_has_the_same_digest_as_the_original(copy):
    content = load_content(copy)
    assert content.digest == default_content().digest and re.fullmatch(r"[0-9a-f]{64}", content.digest)


def test_comments_do_not_change_the_digest_but_words_do(copy):
    edit(copy / "rules.toml", "# What each answer means for treatment.", "# A clinic's note.")
    assert load_content(copy).digest == default_content().digest
    new_version(copy)
    edit(copy / "rules.toml", "Risk of bleeding and bruising.", "Risk of bleeding, bruising.")
    assert load_content(copy).digest != default_content().digest


@pytest.mark.parametrize("how", ["deleted", "turned into a no"])
def test_deleting_the_active_cancer_rule_is_refused_naming_file_and_rule(copy, tmp_path, how):
    if how == "deleted":
        text = (copy / "rules.toml").read_text(encoding="utf-8")
        start = text.index(ACTIVE_CANCER_RULE)
        end = text.index("[[rule]]", start + 1)
        (copy / "rules.toml").write_text(text[:start] + text[end:], encoding="utf-8")
        assert ACTIVE_CANCER_RULE not in text[:start] + text[end:]
    else:
        edit(copy / "rules.toml", ACTIVE_CANCER_RULE, '[[rule]]\nquestion = "active_malignancy"\nanswers = ["no"]\n'
                                                      'outcome = "no_contraindication_found"')
    text = problems(copy)  # with the shipped version kept: refused for that too, and for the floor
    assert f"rules.toml: version {RULES} is a version the product shipped" in text
    for route in Route:
        assert (f"rules.toml: question active_malignancy, answer yes, route {route.value}: "
                f"gives no_contraindication_found") in text
    new_version(copy)  # a new version number does not make it acceptable
    text = problems(copy)
    assert "version 1.1.0-clinic.1" not in text and "question active_malignancy, answer yes" in text
    assert "milder than do_not_treat" in text
    proc = screen_with(copy, screening_file(treatment={"route": "intravenous"},
                                            answers=all_answers(active_malignancy="yes")), tmp_path)
    assert proc.returncode == 1 and proc.stdout == b""
    assert b"question active_malignancy, answer yes, route intravenous" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_softening_uncontrolled_inflammation_to_review_is_refused(copy, tmp_path):
    edit(copy / "rules.toml", INFLAMMATION_RULE, INFLAMMATION_RULE.replace("do_not_treat", "clinician_review"))
    text = problems(copy)
    assert re.search(r"rules\.toml: question systemic_inflammation, answer yes, route topical: gives "
                     r"clinician_review \(rule\[\d+\]\), milder than do_not_treat", text)
    # and it kept the shipped version number: a shipped version with other text
    assert f"rules.toml: version {RULES} is a version the product shipped, but this text differs" in text
    proc = screen_with(copy, screening_file(answers=all_answers(systemic_inflammation="yes")), tmp_path)
    assert proc.returncode == 1 and b"systemic_inflammation" in proc.stderr


def test_iv_cancer_history_cannot_be_softened_even_with_a_new_version(copy):
    new_version(copy)
    edit(copy / "rules.toml", 'routes = ["intravenous"]\noutcome = "do_not_treat"',
         'routes = ["intravenous"]\noutcome = "clinician_review"')
    text = problems(copy)
    assert "question cancer_history, answer yes, route intravenous: gives clinician_review" in text
    assert "route topical" not in text


def test_dont_know_cannot_be_dropped_for_a_core_question(copy):
    new_version(copy)
    edit(copy / "rules.toml", '''question = "cancer_history"
answers = ["dont_know"]
outcome = "clinician_review"''', '''question = "cancer_history"
answers = ["dont_know"]
outcome = "no_contraindication_found"''')
    text = problems(copy)
    assert "question cancer_history, answer dont_know, route injection: gives no_contraindication_found" in text


def test_a_yes_milder_than_dont_know_is_refused_for_any_question(copy):
    new_version(copy)
    edit(copy / "rules.toml", '''question = "immune_suppression"
answers = ["yes", "dont_know"]''', '''question = "immune_suppression"
answers = ["dont_know"]''')
    text = problems(copy)
    assert re.search(r'question immune_suppression, route topical: "yes" gives no_contraindication_found '
                     r'\(no rule\), milder than "dont_know" \(clinician_review, rule\[\d+\]\)', text)


def test_same_version_with_different_text_is_refused_for_the_questionnaire_too(copy):
    edit(copy / "questionnaire.toml", "Do you give blood, or plan to give blood?", "Do you give blood?")
    version = default_content().questionnaire_version
    assert (f"questionnaire.toml: version {version} is a version the product shipped, but this text differs"
            in problems(copy))
    new_version(copy, "questionnaire.toml", "questionnaire", "1.1.0-clinic.1")
    assert load_content(copy).questionnaire_version == "1.1.0-clinic.1"


def test_an_old_shipped_version_number_with_todays_text_is_refused(copy):
    new_version(copy, version="1.0.0")
    assert "rules.toml: version 1.0.0 is a version the product shipped" in problems(copy)


def test_the_digest_record_comes_from_the_installation_not_the_clinics_copy(copy):
    edit(copy / "rules.toml", "Risk of bleeding and bruising.", "Risk of bleeding, bruising.")
    (copy / SHIPPED_DIGESTS).write_text('[questionnaire]\n[rules]\n', encoding="utf-8")
    assert f"version {RULES} is a version the product shipped" in problems(copy)


def test_a_stricter_rule_set_with_a_new_version_loads_and_screens_stricter(copy, tmp_path):
    new_version(copy)
    edit(copy / "rules.toml", '''question = "cancer_history"
answers = ["yes"]
routes = ["topical", "injection"]
outcome = "clinician_review"''', '''question = "cancer_history"
answers = ["yes"]
routes = ["topical", "injection"]
outcome = "do_not_treat"''')
    content = load_content(copy)
    assert content.rules_version == "1.1.0-clinic.1" and content.digest != default_content().digest
    result = evaluate(all_answers(cancer_history="yes"), Route.TOPICAL, content=content)
    assert result.outcome is Outcome.DO_NOT_TREAT
    proc = screen_with(copy, screening_file(answers=all_answers(cancer_history="yes")), tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["outcome"] == "do_not_treat" and out["rules_version"] == "1.1.0-clinic.1"


def test_a_procedure_rule_that_could_never_apply_is_refused(copy):
    new_version(copy)
    edit(copy / "rules.toml", 'routes = ["topical"]\nprocedures = ["microneedling", "laser"]',
         'routes = ["injection"]\nprocedures = ["microneedling", "laser"]')
    assert "procedures: none of them goes with the rule's routes" in problems(copy)


def test_unknown_procedure_in_a_rule_is_refused(copy):
    new_version(copy)
    edit(copy / "rules.toml", 'procedures = ["microneedling", "laser"]', 'procedures = ["needling"]')
    assert "procedures: unknown value 'needling'" in problems(copy)


@pytest.mark.parametrize("setting,words", [
    ("cytosolic_markers = [3]", "product.cytosolic_markers: must be a list of marker names"),
    ("require_particle_count = 1", "product.require_particle_count: must be true or false"),
    ("max_endotoxin_eu_per_ml = -1", "product.max_endotoxin_eu_per_ml: must be a number of EU/mL"),
    ("max_endotoxin_eu_per_ml = nan", "product.max_endotoxin_eu_per_ml: must be a number of EU/mL"),
])
def test_bad_optional_product_settings_are_refused(copy, setting, words):
    new_version(copy)
    key = setting.split(" =")[0]
    text = (copy / "rules.toml").read_text(encoding="utf-8")
    text = re.sub(rf"^{key} = .*$", "", text, flags=re.M).replace("[product]\n", f"[product]\n{setting}\n", 1)
    (copy / "rules.toml").write_text(text, encoding="utf-8")
    assert words in problems(copy)


def test_optional_product_settings_load_when_a_clinic_sets_them(copy):
    new_version(copy)
    edit(copy / "rules.toml", "cytosolic_markers = []", 'cytosolic_markers = ["TSG101"]')
    edit(copy / "rules.toml", "# max_endotoxin_eu_per_ml = 0.0", "max_endotoxin_eu_per_ml = 0.25 #")
    settings = load_content(copy).product
    assert settings.cytosolic_markers == ("TSG101",) and settings.max_endotoxin_eu_per_ml == 0.25


def test_the_floor_is_the_rule_table_of_the_brief():
    assert FLOOR[("cancer_history", __import__("screening_app").screening.Answer.YES)][Route.INTRAVENOUS] \
        is Outcome.DO_NOT_TREAT
    content = default_content()
    for (qid, answer), by_route in FLOOR.items():
        for route in Route:
            for procedure in Procedure.allowed_for(route):
                result = evaluate(all_answers(**{qid: answer.value}), route, content=content, procedure=procedure)
                assert result.outcome is by_route[route], (qid, answer, route, procedure)


@pytest.mark.parametrize("old,new,words", [
    ("max_storage_c = -80", "max_storage_c = -20", "product.max_storage_c: -20 C is warmer than"),
    ("max_storage_c = -80", "max_storage_c = nan", "product.max_storage_c: must be a temperature"),
    ("max_storage_c = -80", "max_storage_c = -300", "product.max_storage_c: must be a temperature"),
    ("max_freeze_thaw_cycles = 1", "max_freeze_thaw_cycles = 3", "product.max_freeze_thaw_cycles: 3 allows repeated"),
    ('required_markers = ["CD9", "CD63", "CD81"]', 'required_markers = ["CD9"]',
     "product.required_markers: CD63, CD81 removed"),
])
def test_the_lot_check_cannot_be_loosened(copy, old, new, words):
    new_version(copy)
    edit(copy / "rules.toml", old, new)
    assert words in problems(copy)


def test_the_lot_check_can_be_made_stricter(copy):
    new_version(copy)
    edit(copy / "rules.toml", "max_storage_c = -80", "max_storage_c = -150")
    edit(copy / "rules.toml", "max_freeze_thaw_cycles = 1", "max_freeze_thaw_cycles = 0")
    edit(copy / "rules.toml", 'required_markers = ["CD9", "CD63", "CD81"]',
         'required_markers = ["cd9", "CD63", "CD81", "TSG101"]')
    settings = load_content(copy).product
    assert settings.max_storage_c == -150 and settings.max_freeze_thaw_cycles == 0
