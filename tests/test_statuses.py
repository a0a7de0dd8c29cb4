"""Ensure a screening's statuses and moves are the one table in records/statuses.py, and that the
store keeps to it: every move the table allows works through the store's API, and every move it
does not list (or by the wrong person) is refused with a clear StoreError."""
import pytest
from conftest import GOOD_PRODUCT, raw_sql
from test_store import complete_draft

from screening_app.records import StoreError, schema, statuses
from screening_app.records.statuses import MOVES, Status, Who


def test_the_table_is_the_schemas_list_and_every_status_is_reachable_from_the_start():
    assert schema.STATUSES == tuple(s.value for s in Status)
    reached, frontier = {statuses.START}, [statuses.START]
    while frontier:
        here = frontier.pop()
        for m in MOVES:
            if m.source == here and m.target not in reached:
                reached.add(m.target)
                frontier.append(m.target)
    assert reached == set(Status)
    # A finished or withdrawn screening never moves again; a correction is an amendment.
    assert not [m for m in MOVES if m.source in (Status.FINISHED, Status.DISCARDED)]
    assert statuses.AMENDABLE == {Status.FINISHED}
    # Only the clinician holding a screening in review signs it.
    assert statuses.moves("finish") == (statuses.Move("finish", Status.IN_REVIEW, Status.FINISHED, Who.HOLDER),)


def test_the_table_answers_who_may_move():
    assert statuses.may("claim", "handed_over", is_creator=False, is_holder=False)
    assert not statuses.may("claim", "in_review", is_creator=False, is_holder=False)
    assert statuses.may("claim", "in_review", is_creator=False, is_holder=True)
    assert not statuses.may("finish", "finished", is_creator=True, is_holder=True)
    assert statuses.move("hand_over", "in_review") is None
    with pytest.raises(KeyError):
        statuses.moves("teleport")


def screening_in(store, people, status: Status) -> str:
    """A screening started by Dr. Chen, brought to `status` through the store's API."""
    d = complete_draft()
    row = store.new_draft(people["doc"], d.to_json())
    if status == Status.DISCARDED:
        store.discard(people["doc"], row.id)
    if status in (Status.HANDED_OVER, Status.IN_REVIEW, Status.FINISHED):
        store.hand_over(people["doc"], row.id, row.row_version)
    if status in (Status.IN_REVIEW, Status.FINISHED):
        store.claim(people["doc"], row.id)
    if status == Status.FINISHED:
        finish(store, people["doc"], row.id)
    assert store.draft(row.id).status == status
    return row.id


def finish(store, who, sid):
    d = complete_draft()
    d.product = dict(GOOD_PRODUCT)
    store.finish(who, sid, version=store.draft(sid).row_version, screening_file=d.to_screening_file(),
                 sheet_version="1.0.0")


def make(store, people, action: str, sid: str, who: str = "doc") -> None:
    """`action` of the table, as `who` does it through the store's API."""
    actor = people[who]
    version = store.draft(sid).row_version
    if action == "save":
        store.save_draft(actor, sid, complete_draft().to_json(), step=1, version=version)
    elif action == "hand_over":
        store.hand_over(actor, sid, version)
    elif action == "claim":
        store.claim(actor, sid)
    elif action == "release":
        store.release(actor, sid)
    elif action == "free":
        # Another's claim is freed only once it is older than the clinic's limit: make it old.
        if store.draft(sid).status == Status.IN_REVIEW:
            raw_sql(store, [f"UPDATE screenings SET claimed_at = '2000-01-01T00:00:00+00:00', "
                            f"updated_at = '2000-01-01T00:00:00+00:00' WHERE id = '{sid}'"])
        store.release(people["admin"] if who == "doc" else actor, sid, reason="the clinician went home")
    elif action == "withdraw":
        store.withdraw(actor, sid, "duplicate")
    elif action == "discard":
        store.discard(actor, sid)
    elif action == "finish":
        finish(store, actor, sid)
    else:
        raise AssertionError(f"the test does not know how to {action}: add it")


def test_every_allowed_move_works_through_the_store(store, people):
    for m in MOVES:
        sid = screening_in(store, people, m.source)
        make(store, people, m.action, sid)
        assert store.draft(sid).status == m.target, m


def test_every_move_the_table_does_not_list_is_refused(store, people):
    for action in statuses.ACTIONS:
        for status in Status:
            if statuses.move(action, status) is not None:
                continue
            sid = screening_in(store, people, status)
            if action in ("release", "free"):
                make(store, people, action, sid)  # nothing held: releasing it changes nothing
            else:
                with pytest.raises(StoreError) as refused:
                    make(store, people, action, sid)
                assert refused.value.kind in ("conflict", "refused") and str(refused.value), (action, status)
            assert store.draft(sid).status == status, (action, status)


def test_a_move_by_the_wrong_person_is_refused(store, people):
    for m in MOVES:
        if m.who is Who.ANYONE:
            continue
        sid = screening_in(store, people, m.source)
        if m.action == "release":  # another's fresh claim is not theirs to free, even with a reason
            with pytest.raises(StoreError):
                store.release(people["doc2"], sid, reason="the clinician went home")
        else:
            with pytest.raises(StoreError) as refused:
                make(store, people, m.action, sid, who="doc2")
            assert str(refused.value), m
        assert store.draft(sid).status == m.source, m
