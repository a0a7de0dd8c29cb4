"""What was asked and answered: the Questionnaire of the version the patient was asked, and the
QuestionnaireResponse (follow-ups nested under the answer that called for them)."""
from __future__ import annotations

import uuid
from typing import Any

from ..screening.content import Content, QuestionnaireVersion
from ..screening.history import CASE_FINDING_IDS, finding_title
from .fhir_common import (
    ANSWER_CODINGS,
    QUESTIONNAIRE_NAME,
    QUESTIONNAIRE_URL,
    SCREENING_ID_SYSTEM,
    YESNODONTKNOW,
    answer_label,
    narrative,
    sentence,
    stable_uuid,
)


def enable_answers(when) -> list[str]:
    return [a for a in ("yes", "no", "dont_know") if a in {getattr(w, "value", w) for w in when}]


def questionnaire_resource(q: QuestionnaireVersion, current: Content | None) -> dict:
    items = []
    for question in q.questions:
        item = {"linkId": question.id, "text": question.text, "type": "choice", "required": question.required,
                "answerValueSet": YESNODONTKNOW}
        children = []
        for fu in question.follow_ups:
            answers = enable_answers(fu.when)
            child = {"linkId": f"{question.id}.{fu.id}", "text": fu.prompt, "type": "text",
                     "enableWhen": [{"question": question.id, "operator": "=", "answerCoding": ANSWER_CODINGS[a]}
                                    for a in answers]}
            if len(answers) > 1:
                child["enableBehavior"] = "any"
            children.append(child)
        if children:
            item["item"] = children
        items.append(item)
    in_force = current is not None and current.questionnaire_version == q.version
    lines = [sentence("questionnaire", title=q.title, version=q.version, effective=q.effective.isoformat(),
                      count=len(q.questions))]
    if not in_force:
        lines.append(sentence("questionnaire_retired"))
    lines += [f"{i}. {question.text}" for i, question in enumerate(q.questions, 1)]
    return {"resourceType": "Questionnaire", "url": QUESTIONNAIRE_URL, "version": q.version,
            "name": QUESTIONNAIRE_NAME, "title": q.title, "status": "active" if in_force else "retired",
            "subjectType": ["Patient"], "date": q.effective.isoformat(),
            "text": narrative(*lines), "item": items}


def same_version_other_words(q: QuestionnaireVersion | None, current: Content | None) -> bool:
    """The questionnaire in use carries the record's version number but other wording (edited
    without raising the version): the record cannot tell which one the patient heard."""
    def asked(questions):  # what the patient heard, in order; not the sources behind it
        return [(x.id, x.text, [(f.id, f.prompt, sorted(a.value for a in f.when)) for f in x.follow_ups])
                for x in questions]
    return (q is not None and current is not None and current.questionnaire_version == q.version
            and asked(current.questions) != asked(q.questions))


def response_resource(record, q: QuestionnaireVersion | None, patient_ref, desk_ref, authored, ambiguous=False) -> dict:
    sf = record.screening_file
    answers: dict = sf.get("answers", {})
    follow_ups: dict = sf.get("follow_ups", {}) or {}
    items, lines = [], []
    if q is not None:
        order = [question.id for question in q.questions] + [qid for qid in answers if qid not in
                                                             {question.id for question in q.questions}]
    else:
        order = list(answers)
        lines.append(sentence("unknown_version", version=record.questionnaire_version))
    if ambiguous:
        lines.append(sentence("version_reused", version=record.questionnaire_version))
    for qid in order:
        question = question_or_none(q, qid)
        text = question.text if question else None
        value = answers.get(qid)
        if value not in ANSWER_CODINGS:
            lines.append(sentence("not_answered", question=text or qid))
            continue
        answer: dict[str, Any] = {"valueCoding": dict(ANSWER_CODINGS[value])}
        nested, notes = [], [sentence("response_item", question=text or qid, answer=answer_label(value))]
        recorded = dict(follow_ups.get(qid) or {})
        for fu in (question.follow_ups if question else ()):
            fu_text = recorded.pop(fu.id, None)
            if not fu_text:
                continue
            if value in enable_answers(fu.when):
                nested.append({"linkId": f"{qid}.{fu.id}", "text": fu.prompt, "answer": [{"valueString": fu_text}]})
                notes.append(sentence("response_follow_up", prompt=fu.prompt, text=fu_text))
            else:
                notes.append(sentence("follow_up_not_called_for", question=text or qid, text=fu_text))
        for fid, fu_text in recorded.items():  # follow-ups the questionnaire here does not name
            if not fu_text:
                continue
            if question is None:  # a version this installation does not know: keep them, by id
                nested.append({"linkId": f"{qid}.{fid}", "answer": [{"valueString": str(fu_text)}]})
                notes.append(sentence("response_follow_up", prompt=f"{fid}:", text=fu_text))
            else:
                notes.append(sentence("follow_up_not_called_for", question=text or qid, text=f"{fid}: {fu_text}"))
        if nested:
            answer["item"] = nested
        item: dict[str, Any] = {"linkId": qid}
        if text:
            item["text"] = text
        item["answer"] = [answer]
        items.append(item)
        lines.extend(notes)
    head = sentence("response", name=sf.get("patient", {}).get("name", ""), date=authored or record.finished_at,
                    version=record.questionnaire_version)
    if record.amends:
        lines.insert(0, sentence("amends", original=record.amends))
    response = {"resourceType": "QuestionnaireResponse",
                "identifier": {"system": SCREENING_ID_SYSTEM, "value": screening_urn(record.screening_id)},
                "questionnaire": f"{QUESTIONNAIRE_URL}|{record.questionnaire_version}",
                "status": "completed", "subject": patient_ref}
    if authored:
        response["authored"] = authored
    if desk_ref:
        response["author"] = desk_ref
    response["source"] = patient_ref
    response["text"] = narrative(*lines, title=head)
    if items:
        response["item"] = items
    return response


def screening_urn(sid: str) -> str:
    try:
        return f"urn:uuid:{uuid.UUID(sid)}"
    except ValueError:
        return f"urn:uuid:{stable_uuid('screening', sid)}"


def question_or_none(q: QuestionnaireVersion | None, qid: str):
    if q is None:
        return None
    try:
        return q.question(qid)
    except KeyError:
        return None


def finding_label(q: QuestionnaireVersion | None, qid: str) -> str:
    """What a finding is about: its question as the patient was asked it, or the title of a
    finding the records raised (such as an earlier screening)."""
    if qid in CASE_FINDING_IDS:
        return finding_title(None, qid)
    question = question_or_none(q, qid)
    return question.text if question else qid
