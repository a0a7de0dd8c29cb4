"""Ensure the questionnaire and rules files are complete, and that unsafe edits are refused."""
import shutil

import pytest

from screening_app.resources import resource_dir
from screening_app.screening import ContentError, default_content, load_content
from screening_app.screening.content import CORE_QUESTIONS


@pytest.fixture
def content_dir(tmp_path):
    for name in ("questionnaire.toml", "rules.toml"):
        shutil.copy(resource_dir() / name, tmp_path / name)
    return tmp_path


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_content_loads_with_versions_and_dates():
    c = default_content()
    assert c.questionnaire_version and c.rules_version
    assert c.questionnaire_effective.year >= 2026
    assert set(CORE_QUESTIONS) <= set(c.question_ids)
    assert all(q.required for q in c.questions)


def test_every_question_has_wording_rationale_and_source():
    for q in default_content().questions:
        assert q.text.endswith("?"), q.id
        assert q.rationale and q.source


def test_every_further_question_of_the_brief_is_asked():
    ids = set(default_content().question_ids)
    assert {"current_infection", "skin_problem_at_site", "immune_suppression", "biologic_reaction",
            "known_allergy", "pregnant_or_breastfeeding", "bleeding_risk"} <= ids


def test_follow_ups_appear_only_for_answers_that_call_for_them():
    q = default_content().question("cancer_history")
    assert q.follow_ups and all("no" not in {a.value for a in fu.when} for fu in q.follow_ups)


def test_an_edit_that_makes_dont_know_milder_than_no_is_refused(content_dir):
    edit(content_dir / "rules.toml",
         'answers = ["dont_know"]\noutcome = "clinician_review"\n'
         'reason = "The patient does not know whether they have cancer now',
         'answers = ["no"]\noutcome = "clinician_review"\n'
         'reason = "The patient does not know whether they have cancer now')
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    assert any("active_malignancy" in p and "milder" in p for p in exc.value.problems)


def test_a_rule_for_an_unknown_question_is_refused(content_dir):
    edit(content_dir / "rules.toml", 'question = "current_infection"', 'question = "curent_infection"')
    with pytest.raises(ContentError, match="curent_infection.*not a question"):
        load_content(content_dir)


def test_unknown_outcome_answer_or_route_is_refused(content_dir):
    rules = content_dir / "rules.toml"
    edit(rules, 'outcome = "do_not_treat"', 'outcome = "never"')
    edit(rules, 'routes = ["intravenous"]', 'routes = ["iv"]')
    edit(rules, 'answers = ["yes", "dont_know"]', 'answers = ["maybe"]')
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    text = "\n".join(exc.value.problems)
    assert "outcome: must be one of" in text and "'iv'" in text and "'maybe'" in text


def test_a_core_question_cannot_be_removed_or_made_optional(content_dir):
    q = content_dir / "questionnaire.toml"
    edit(q, 'id = "blood_donation"', 'id = "gives_blood"')
    edit(q, 'required = true', 'required = false')  # the first: active_malignancy
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    text = "\n".join(exc.value.problems)
    assert "question blood_donation: missing" in text
    assert "question active_malignancy.required: must be true" in text


def test_duplicate_ids_and_missing_text_are_refused(content_dir):
    q = content_dir / "questionnaire.toml"
    edit(q, 'id = "cancer_history"', 'id = "active_malignancy"')
    edit(q, 'text = "Do you give blood, or plan to give blood?"', 'text = ""')
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    text = "\n".join(exc.value.problems)
    assert "id used twice" in text and "question blood_donation.text: must be non-empty text" in text


def test_broken_toml_names_the_file(content_dir):
    (content_dir / "rules.toml").write_text("[rules\nversion=", encoding="utf-8")
    with pytest.raises(ContentError, match="rules.toml: not valid TOML"):
        load_content(content_dir)


def test_missing_file_is_named(content_dir):
    (content_dir / "questionnaire.toml").unlink()
    with pytest.raises(ContentError, match="questionnaire.toml: file not found"):
        load_content(content_dir)
