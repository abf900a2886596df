"""Push and pull: merging, change numbers, ownership, refusal of anything outside the record lists."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from genoflow_desktop.server.models import Record
from tests.server.conftest import Api, Lab, job, upload


def _stored_count(api: Api) -> int:
    with api.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Record)) or 0)


def _results(response: Any) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.text
    return [(result["status"], result["seq"]) for result in response.json()["results"]]


def test_pushing_the_same_batch_twice_changes_nothing(api: Api, lab: Lab) -> None:
    batch = [
        (
            "job",
            job(
                history=[
                    {"state": "running", "at": "2026-03-01T10:00:00+00:00"},
                    {"state": "queued", "at": "2026-03-01T09:00:00+00:00"},
                ]
            ),
        ),
        ("upload", upload()),
    ]
    first = api.push(lab.id, lab.member, *batch)
    assert _results(first) == [("created", 1), ("created", 2)]
    assert first.json()["cursor"] == 2
    second = api.push(lab.id, lab.member, *batch)
    assert _results(second) == [("unchanged", 1), ("unchanged", 2)]
    assert api.pull(lab.id, lab.member, since=2).json() == {
        "records": [],
        "cursor": 2,
        "more": False,
    }


def test_a_state_never_moves_backwards(api: Api, lab: Lab) -> None:
    record_id = uuid.uuid4().hex
    done = job(record_id, state="completed", updated_at="2026-03-01T12:00:00+00:00", progress=100)
    api.push(lab.id, lab.member, ("job", done))
    late = job(record_id, state="running", updated_at="2026-03-01T11:00:00+00:00", progress=40)
    assert _results(api.push(lab.id, lab.member, ("job", late))) == [("unchanged", 1)]
    # Even a newer copy cannot take it back; its other edits still apply.
    newer = job(
        record_id,
        state="running",
        updated_at="2026-03-01T13:00:00+00:00",
        progress=50,
        name="renamed",
    )
    assert _results(api.push(lab.id, lab.member, ("job", newer))) == [("updated", 2)]
    record = api.pull(lab.id, lab.member).json()["records"][0]["record"]
    assert (record["state"], record["progress"], record["name"]) == ("completed", 100, "renamed")


def test_latest_editable_fields_win_and_history_is_the_union(api: Api, lab: Lab) -> None:
    record_id = uuid.uuid4().hex
    queued = {"state": "queued", "at": "2026-03-01T09:00:00+00:00", "message": ""}
    running = {"state": "running", "at": "2026-03-01T10:00:00+00:00", "message": ""}
    api.push(
        lab.id,
        lab.member,
        (
            "job",
            job(
                record_id,
                name="new name",
                updated_at="2026-03-01T10:00:00+00:00",
                history=[running],
            ),
        ),
    )
    older = job(
        record_id,
        name="old name",
        updated_at="2026-03-01T09:00:00+00:00",
        state="queued",
        history=[queued],
    )
    assert _results(api.push(lab.id, lab.member, ("job", older))) == [("updated", 2)]
    record = api.pull(lab.id, lab.member).json()["records"][0]["record"]
    assert record["name"] == "new name" and record["state"] == "running"
    assert record["history"] == [queued, running]


def test_pull_pages_with_the_cursor(api: Api, lab: Lab) -> None:
    ids = [uuid.uuid4().hex for _ in range(7)]
    api.push(lab.id, lab.member, *[("job", job(record_id)) for record_id in ids])
    seen: list[str] = []
    cursor, pages = 0, 0
    while True:
        page = api.pull(lab.id, lab.viewer, since=cursor, limit=3).json()
        pages += 1
        seen += [entry["record"]["id"] for entry in page["records"]]
        assert [entry["seq"] for entry in page["records"]] == list(
            range(cursor + 1, cursor + 1 + len(page["records"]))
        )
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert seen == ids and pages == 3 and cursor == 7
    entry = api.pull(lab.id, lab.viewer, limit=1).json()["records"][0]
    assert entry["owner"] == {"id": lab.member.user_id, "display_name": "member"}
    assert entry["kind"] == "job"


@pytest.mark.parametrize("limit", [0, 1001, -1])
def test_pull_limit_is_bounded(api: Api, lab: Lab, limit: int) -> None:
    response = api.pull(lab.id, lab.member, limit=limit)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_someone_elses_record_is_a_conflict_unless_lab_admin(api: Api, lab: Lab) -> None:
    record_id = uuid.uuid4().hex
    api.set_member(lab.id, lab.admin, "viewer@lab.example", "member")
    api.push(lab.id, lab.member, ("job", job(record_id)))
    theirs = job(record_id, name="hijacked", updated_at="2026-03-02T00:00:00+00:00")
    mine = job()
    assert _results(api.push(lab.id, lab.viewer, ("job", theirs), ("job", mine))) == [
        ("conflict", 1),
        ("created", 2),
    ]
    assert api.pull(lab.id, lab.member).json()["records"][0]["record"]["name"] == "imputation run"
    assert _results(api.push(lab.id, lab.admin, ("job", theirs))) == [("updated", 3)]
    entry = api.pull(lab.id, lab.member, since=2).json()["records"][0]
    assert entry["record"]["name"] == "hijacked"
    assert entry["owner"]["id"] == lab.member.user_id  # the admin edits, the owner stays


def test_records_of_two_labs_are_separate(api: Api, lab: Lab) -> None:
    shared_id = uuid.uuid4().hex
    api.push(lab.id, lab.member, ("job", job(shared_id)))
    other = api.push(lab.other_id, lab.outsider, ("job", job(shared_id, name="theirs")))
    assert _results(other) == [("created", 1)]
    assert api.pull(lab.id, lab.member).json()["records"][0]["record"]["name"] == "imputation run"


SECRET_FIELDS = ["password", "token", "path", "share_link", "local_path", "s3_secret_key"]


@pytest.mark.parametrize("field", SECRET_FIELDS)
def test_a_record_with_a_field_outside_the_list_is_refused_whole(
    api: Api, lab: Lab, field: str
) -> None:
    good = job()
    bad = job(**{field: "s3cr3t"})
    response = api.push(lab.id, lab.member, ("job", good), ("job", bad))
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["detail"] and "s3cr3t" not in response.text
    assert _stored_count(api) == 0


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("job", job("not-hex")),
        ("job", job("A" * 32)),
        ("job", {k: v for k, v in job().items() if k != "state"}),
        ("upload", {k: v for k, v in upload().items() if k != "status"}),
        ("job", job(updated_at="yesterday")),
        ("job", job(updated_at="2026-03-01T10:00:00")),  # no time zone
        ("job", job(updated_at="2026-03-01T10:00:00+02:00")),  # not UTC
        ("job", job(updated_at=12)),
        ("job", job(name={"nested": "object"})),
        ("job", job(inputs=[{"name": "a.vcf", "path": "/home/me/a.vcf"}])),
        ("job", job(results=["https://share.example/link"])),
        ("job", job(history=[{"state": "running", "token": "abc"}])),
        ("job", job(history="running")),
        ("job", job(name="nul\x00byte")),
        ("upload", upload(history=[])),  # a field of jobs only
    ],
)
def test_malformed_records_are_refused(
    api: Api, lab: Lab, kind: str, record: dict[str, Any]
) -> None:
    response = api.push(lab.id, lab.member, (kind, record))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert _stored_count(api) == 0


def test_a_push_carries_at_most_500_records(api: Api, lab: Lab) -> None:
    too_many = api.push(lab.id, lab.member, *[("upload", upload()) for _ in range(501)])
    assert too_many.status_code == 422
    assert _stored_count(api) == 0
    assert (
        api.push(lab.id, lab.member, *[("upload", upload()) for _ in range(500)]).status_code == 200
    )
    assert _stored_count(api) == 500


def test_concurrent_pushes_reach_a_concurrent_puller_exactly_once(api: Api, lab: Lab) -> None:
    """Pushers race while one client pulls with its cursor: it must miss no change (a change
    number that commits after a larger one would be skipped) and see none twice."""
    writers, batches, size = 4, 12, 5
    pushed: dict[str, dict[str, Any]] = {}
    pushed_lock = threading.Lock()
    errors: list[BaseException] = []

    def pusher(index: int) -> None:
        try:
            mine: list[str] = []
            for batch in range(batches):
                records = [job(progress=0) for _ in range(size - 1)]
                if mine:  # and an update of an earlier record
                    records.append(
                        job(
                            mine[-1],
                            progress=batch,
                            updated_at=f"2026-03-01T10:{batch:02d}:00+00:00",
                        )
                    )
                response = api.push(lab.id, lab.member, *[("job", r) for r in records])
                assert response.status_code == 200, response.text
                with pushed_lock:
                    for record in records:
                        pushed[record["id"]] = record
                mine += [record["id"] for record in records]
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    latest: dict[str, dict[str, Any]] = {}
    seqs: list[int] = []

    def drain(cursor: int) -> int:
        while True:
            page = api.pull(lab.id, lab.viewer, since=cursor, limit=7).json()
            for entry in page["records"]:
                seqs.append(entry["seq"])
                latest[entry["record"]["id"]] = entry["record"]
            cursor = page["cursor"]
            if not page["more"]:
                return cursor

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    cursor = 0
    # Pull for as long as any pusher runs, then once more for what committed last.
    while any(thread.is_alive() for thread in threads):
        cursor = drain(cursor)
    for thread in threads:
        thread.join()
    drain(cursor)
    assert not errors, errors

    assert seqs == sorted(set(seqs)), "a change was delivered twice or out of order"
    assert set(latest) == set(pushed)
    everything = api.pull(lab.id, lab.viewer, limit=1000).json()["records"]
    assert len(everything) == len({entry["record"]["id"] for entry in everything}) == len(pushed)
    assert {entry["record"]["id"]: entry["record"] for entry in everything} == latest


def test_text_no_database_or_json_answer_could_hold_is_refused(api: Api, lab: Lab) -> None:
    """JSON may spell a lone surrogate ("\\ud800"); stored, it would break every later pull."""
    body = json.dumps({"records": [{"kind": "job", "record": job(name="@")}]})
    body = body.replace('"@"', '"\\ud800"')
    headers = {"content-type": "application/json", **lab.member.headers}
    response = api.client.post(f"/api/v1/labs/{lab.id}/sync/push", content=body, headers=headers)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert api.pull(lab.id, lab.member).status_code == 200
    assert _stored_count(api) == 0
