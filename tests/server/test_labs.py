"""Who sees and changes what: labs are invisible to outsiders, roles bound every write."""

from __future__ import annotations

import uuid

import pytest

from tests.server.conftest import Api, Lab, job


def _lab_requests(lab_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    base = f"/api/v1/labs/{lab_id}"
    records = {"records": [{"kind": "job", "record": job()}]}
    return [
        ("GET", base, None),
        ("GET", f"{base}/members", None),
        ("PUT", f"{base}/members", {"email": "member@lab.example", "role": "viewer"}),
        ("DELETE", f"{base}/members/{uuid.uuid4().hex}", None),
        ("GET", f"{base}/sync/pull", None),
        ("POST", f"{base}/sync/push", records),
        ("GET", f"{base}/audit", None),
    ]


def test_another_labs_data_looks_exactly_like_a_missing_lab(api: Api, lab: Lab) -> None:
    missing = uuid.uuid4().hex
    for (method, path, body), (_, missing_path, _) in zip(
        _lab_requests(lab.id), _lab_requests(missing), strict=True
    ):
        theirs = api.client.request(method, path, headers=lab.outsider.headers, json=body)
        nowhere = api.client.request(method, missing_path, headers=lab.outsider.headers, json=body)
        assert theirs.status_code == nowhere.status_code == 404, (method, path)
        assert theirs.json() == nowhere.json() == {"detail": "Lab not found", "code": "not_found"}
    # A malformed id is just as missing.
    assert api.get("/api/v1/labs/..%2f", lab.outsider).status_code == 404
    assert api.get("/api/v1/labs/NOT-AN-ID", lab.outsider).json()["code"] == "not_found"


def test_server_admin_is_not_a_member_of_every_lab(api: Api, lab: Lab) -> None:
    # The outsider administers the server, yet the lab stays invisible to them.
    assert api.get(f"/api/v1/labs/{lab.id}", lab.outsider).status_code == 404
    assert [entry["id"] for entry in api.get("/api/v1/labs", lab.outsider).json()] == [lab.other_id]


def test_viewer_reads_but_cannot_write(api: Api, lab: Lab) -> None:
    api.push(lab.id, lab.member, ("job", job()))
    pulled = api.pull(lab.id, lab.viewer)
    assert pulled.status_code == 200 and len(pulled.json()["records"]) == 1
    refused = api.push(lab.id, lab.viewer, ("job", job()))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert len(api.pull(lab.id, lab.admin).json()["records"]) == 1


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_only_lab_admins_manage_members_and_read_the_audit(api: Api, lab: Lab, who: str) -> None:
    session = getattr(lab, who)
    put = api.put(
        f"/api/v1/labs/{lab.id}/members",
        session,
        json={"email": "viewer@lab.example", "role": "admin"},
    )
    assert put.status_code == 403
    assert (
        api.delete(f"/api/v1/labs/{lab.id}/members/{lab.viewer.user_id}", session).status_code
        == 403
    )
    assert api.get(f"/api/v1/labs/{lab.id}/audit", session).status_code == 403


def test_members_are_listed_added_changed_and_removed(api: Api, lab: Lab) -> None:
    members = api.get(f"/api/v1/labs/{lab.id}/members", lab.viewer).json()
    assert {(m["email"], m["role"]) for m in members} == {
        ("admin@lab.example", "admin"),
        ("member@lab.example", "member"),
        ("viewer@lab.example", "viewer"),
    }
    api.set_member(lab.id, lab.admin, "Viewer@Lab.example", "member")
    assert api.push(lab.id, lab.viewer, ("job", job())).status_code == 200
    removed = api.delete(f"/api/v1/labs/{lab.id}/members/{lab.viewer.user_id}", lab.admin)
    assert removed.status_code == 204
    assert api.get(f"/api/v1/labs/{lab.id}", lab.viewer).status_code == 404
    unknown = api.put(
        f"/api/v1/labs/{lab.id}/members", lab.admin, json={"email": "x@y.z", "role": "member"}
    )
    assert unknown.status_code == 404


def test_a_lab_keeps_its_last_admin(api: Api, lab: Lab) -> None:
    demote = api.put(
        f"/api/v1/labs/{lab.id}/members",
        lab.admin,
        json={"email": "admin@lab.example", "role": "member"},
    )
    assert demote.status_code == 409 and demote.json()["code"] == "conflict"
    leave = api.delete(f"/api/v1/labs/{lab.id}/members/{lab.admin.user_id}", lab.admin)
    assert leave.status_code == 409
    api.set_member(lab.id, lab.admin, "member@lab.example", "admin")
    assert (
        api.delete(f"/api/v1/labs/{lab.id}/members/{lab.admin.user_id}", lab.admin).status_code
        == 204
    )


def test_only_server_admins_create_labs_and_accounts(api: Api, lab: Lab) -> None:
    assert api.post("/api/v1/labs", lab.member, json={"name": "Mine"}).status_code == 403
    assert api.get("/api/v1/users", lab.member).status_code == 403
    new = {"email": "new@lab.example", "display_name": "New", "password": "long enough pw"}
    assert api.post("/api/v1/users", lab.member, json=new).status_code == 403
    created = api.post("/api/v1/users", lab.admin, json=new)
    assert created.status_code == 201 and created.json()["is_admin"] is False
    again = api.post("/api/v1/users", lab.admin, json={**new, "email": "NEW@lab.example"})
    assert again.status_code == 409
    emails = [user["email"] for user in api.get("/api/v1/users", lab.admin).json()]
    assert "new@lab.example" in emails
    api.login("new@lab.example", "long enough pw")


def test_the_audit_log_records_writes_without_secrets(api: Api, lab: Lab) -> None:
    api.push(lab.id, lab.member, ("job", job()))
    events = api.get(f"/api/v1/labs/{lab.id}/audit", lab.admin, params={"limit": 3}).json()
    assert [event["action"] for event in events] == [
        "sync.push",
        "lab.member_set",
        "lab.member_set",
    ]
    assert events[0]["user_id"] == lab.member.user_id
    assert events[0]["detail"] == {"created": 1}
    assert events[0]["client_address"] == "testclient"
