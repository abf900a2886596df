"""A fake Cloudgene 3 server running imputationserver2, written from specs/cloudgene-api.md.

Run it with ``python -m tests.fakes.cloudgene_server --port N --state-dir DIR``; it listens on
127.0.0.1 only. It answers the REST API as the spec describes (section numbers in comments),
including its error shapes: Cloudgene's ``{"message", "success": false}`` and Micronaut's
``_embedded.errors`` for 401/403/404 routes/415.

Control endpoints for tests live under ``/_fake/`` (JSON in, JSON out):

``POST /_fake/reset``                       forget jobs, counters and settings
``POST /_fake/tokens``                      {token, username?, state: valid|expired|revoked}
``POST /_fake/maintenance``                 {on: bool}
``POST /_fake/proxy-errors``                {count, status?}: the next requests get an nginx page
``POST /_fake/job-limit``                   {limit}
``POST /_fake/config``                      {auto_advance_s?, send_mail?, download_content_type?,
                                             redirect_downloads?}
``POST /_fake/jobs/<id>/state``             {state, failure?: "qc"|"pipeline"}
``POST /_fake/jobs/<id>/archive``           {encryption?: "aes"|"zipcrypto", extra_members?: [...]}
``POST /_fake/jobs/<id>/downloads``         {count}: set every file's remaining downloads
``GET  /_fake/jobs/<id>``                   the job as the server keeps it (password, params)
``GET  /_fake/submissions``                 every submit request as received (fields, files)
``GET  /_fake/requests``                    {"METHOD /path": count}
``GET  /_fake/downloads``                   [{path, token_sent}] of every download request
"""

from __future__ import annotations

import argparse
import hashlib
import html
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_file
from werkzeug.serving import make_server

from tests.fakes import cloudgene_catalog as catalog
from tests.fakes.cloudgene_jobs import RUNNING, FakeJob, random_password

DEFAULT_TOKEN = "genoflow-test-token"
DEFAULT_USER = "alice"
MAINTENANCE = "This functionality is currently under maintenance."
NGINX_503 = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class Token:
    username: str
    state: str = "valid"  # valid | expired | revoked
    expire: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(days=30))


@dataclass
class State:
    root: Path
    tokens: dict[str, Token] = field(default_factory=dict)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    download_log: list[dict[str, Any]] = field(default_factory=list)
    maintenance: bool = False
    proxy_errors: int = 0
    proxy_status: int = 503
    job_limit: int = 2
    auto_advance_s: float = 0.0
    send_mail: bool = False
    download_content_type: str = "application/octet-stream"
    redirect_downloads: bool = False
    last_id: str = ""

    def reset(self) -> None:
        fresh = State(self.root)
        fresh.tokens = {DEFAULT_TOKEN: Token(DEFAULT_USER)}
        self.__dict__.update(fresh.__dict__)


def _micronaut_error(status: int, message: str, reason: str) -> Response:
    """Micronaut's JSON error body (spec 3): used for 401/403 and framework errors."""
    body = {
        "message": reason,
        "_links": {"self": [{"href": request.path, "templated": False}]},
        "_embedded": {"errors": [{"message": message}]},
    }
    response = jsonify(body)
    response.status_code = status
    return response


def _cloudgene_error(status: int, message: str) -> Response:
    """Cloudgene's own JsonHttpStatusException body (spec 4)."""
    response = jsonify({"message": message, "success": False})
    response.status_code = status
    return response


class Fake:
    def __init__(self, root: Path) -> None:
        self.lock = threading.RLock()
        self.state = State(root)
        self.state.reset()

    # --- helpers --------------------------------------------------------------------------

    def token(self) -> tuple[str, Token | None]:
        """(verdict, token): "anonymous", "revoked" or "user" for the request's X-Auth-Token."""
        value = request.headers.get("X-Auth-Token", "")
        token = self.state.tokens.get(value)
        if token is None or token.state == "expired" or token.expire < datetime.now(UTC):
            return "anonymous", None  # wrong signature or expired: treated as anonymous
        if token.state == "revoked":
            return "revoked", token
        return "user", token

    def user(self) -> tuple[str | None, Response | None]:
        """The user of an endpoint that needs one, or the 401/403 answer."""
        verdict, token = self.token()
        if verdict == "anonymous":
            return None, _micronaut_error(401, "Unauthorized", "Unauthorized")
        if verdict == "revoked":
            return None, _micronaut_error(403, "Forbidden", "Forbidden")
        assert token is not None
        return token.username, None

    def refresh(self, job: FakeJob) -> None:
        """Auto-advance: one state step per ``auto_advance_s`` seconds while running."""
        step = self.state.auto_advance_s
        while step > 0 and job.state in RUNNING and time.monotonic() - job.changed_at >= step:
            job.set_state(job.state + 1, send_mail=self.state.send_mail)

    def position(self, job: FakeJob) -> int:
        if job.state != 1:
            return 0 if job.state in RUNNING else -1
        waiting = sorted(
            (j for j in self.state.jobs.values() if j.state == 1), key=lambda j: j.submitted_on
        )
        return [j.id for j in waiting].index(job.id)

    def new_id(self) -> str:
        stamp = datetime.now()
        while True:
            job_id = f"job-{stamp:%Y%m%d-%H%M%S}-{stamp.microsecond // 1000:03d}"
            if job_id != self.state.last_id and job_id not in self.state.jobs:
                self.state.last_id = job_id
                return job_id
            stamp += timedelta(milliseconds=1)

    def own_job(self, job_id: str) -> tuple[FakeJob | None, Response | None]:
        username, error = self.user()
        if error is not None:
            return None, error
        if self.state.maintenance:
            return None, _cloudgene_error(503, MAINTENANCE)
        job = self.state.jobs.get(job_id)
        if job is None:
            return None, _cloudgene_error(404, f"Job {job_id} not found.")
        if job.username != username:
            return None, _cloudgene_error(403, "Access denied.")
        self.refresh(job)
        return job, None

    # --- submission (spec 4.3) ------------------------------------------------------------

    def submit(self, app_id: str) -> Response:
        username, error = self.user()
        if error is not None:
            return error
        if self.state.maintenance:
            return _cloudgene_error(503, MAINTENANCE)
        content_type = request.mimetype or ""
        if content_type != "multipart/form-data":
            return _micronaut_error(
                415,
                f"Content Type [{content_type}] not allowed. Allowed types: [multipart/form-data]",
                "Unsupported Media Type",
            )
        if app_id not in (catalog.APP_ID, f"{catalog.APP_ID}@{catalog.APP_VERSION}"):
            return _cloudgene_error(404, f"Application '{app_id}' not found.")
        active = [
            j for j in self.state.jobs.values() if j.username == username and j.state in RUNNING
        ]
        for job in active:
            self.refresh(job)
        active = [j for j in active if j.state in RUNNING]
        if len(active) >= self.state.job_limit:
            return _cloudgene_error(
                400, f"Only {self.state.job_limit} jobs per user can be executed simultaneously."
            )
        received = {
            "app": app_id,
            "fields": [[name, value] for name, value in request.form.items(multi=True)],
            "files": [],
        }
        params: dict[str, str] = {}
        job_name = ""
        for raw_name, value in request.form.items(multi=True):
            name = raw_name.removeprefix("input-")
            if name == "job-name":
                job_name = html.escape(value)
            elif name.endswith("-pattern"):
                continue
            elif name not in catalog.DECLARED:
                return _cloudgene_error(400, f"Parameter '{raw_name}' not found.")
            elif name in catalog.CHECKBOXES:
                params[name] = "true"  # present with any value: switched on
            else:
                params[name] = html.escape(value)  # every value is HTML-escaped (spec 4.3)
        job_id = self.new_id()
        workdir = self.state.root / "jobs" / job_id
        inputs = workdir / "input"
        inputs.mkdir(parents=True)
        for raw_name, upload in request.files.items(multi=True):
            if raw_name.removeprefix("input-") != "files":
                return _cloudgene_error(400, f"Parameter '{raw_name}' not found.")
            target = inputs / Path(upload.filename or "upload").name
            upload.save(target)
            data = target.read_bytes()
            received["files"].append(
                {
                    "field": raw_name,
                    "filename": upload.filename,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        self.state.submissions.append(received)
        for name, default in catalog.DEFAULTS.items():
            params.setdefault(name, default)  # an absent checkbox is "false"
        params.setdefault("population", "off")
        panel = catalog.find_panel(params.get("refpanel", ""))
        job = FakeJob(
            id=job_id,
            name=job_name or job_id,
            username=username or "",
            application_id=app_id,
            params=params,
            panel=panel,
            password=params.get("password") or random_password(),
            workdir=workdir,
            user_agent=request.headers.get("User-Agent", ""),
        )
        if panel is None:
            job.set_state(5)  # unknown panel: accepted, then fails at once without steps
        self.state.jobs[job_id] = job
        return jsonify(
            {
                "success": True,
                "message": "Your job was successfully added to the job queue.",
                "id": job_id,
            }
        )


def create_app(root: Path) -> Flask:
    app = Flask(__name__)
    fake = Fake(root)

    def state() -> State:
        return fake.state

    @app.before_request
    def _count_and_break() -> Response | None:
        if request.path.startswith("/_fake/"):
            return None
        fake.lock.acquire()
        state().requests[f"{request.method} {request.path}"] += 1
        if state().proxy_errors > 0:
            state().proxy_errors -= 1
            return Response(NGINX_503, status=state().proxy_status, content_type="text/html")
        return None

    @app.teardown_request
    def _unlock(_: BaseException | None) -> None:
        if not request.path.startswith("/_fake/"):
            fake.lock.release()

    # --- server and apps (spec 4.1, 4.2) --------------------------------------------------

    @app.get("/api/v2/server")
    def server() -> Response:
        verdict, token = fake.token()
        if verdict == "revoked":
            return _micronaut_error(403, "Forbidden", "Forbidden")
        body: dict[str, Any] = {
            "name": catalog.SERVER_NAME,
            "background": "#343a40",
            "foreground": "#ffffff",
            "footer": "",
            "emailRequired": True,
            "userEmailDescription": "",
            "userWithoutEmailDescription": "",
            "oauth": [],
        }
        if token is not None:
            body["user"] = {
                "username": token.username,
                "mail": f"{token.username}@example.org",
                "admin": False,
                "name": token.username.title(),
            }
            body["apps"] = list(catalog.SERVER_APPS)
            body["deprecatedApps"] = []
            body["experimentalApps"] = []
            body["loggedIn"] = True
        else:
            body["apps"] = []
            body["loggedIn"] = False
        body["navigation"] = []
        body["maintenace"] = state().maintenance
        if state().maintenance:
            body["maintenaceMessage"] = "Down for maintenance until 14:00."
        return jsonify(body)

    @app.get("/api/v2/server/apps/<path:app_id>")
    def app_details(app_id: str) -> Response:
        verdict, _ = fake.token()
        if verdict == "revoked":
            return _micronaut_error(403, "Forbidden", "Forbidden")
        if state().maintenance:
            return _cloudgene_error(503, MAINTENANCE)
        if verdict == "anonymous" or app_id not in (
            catalog.APP_ID,
            f"{catalog.APP_ID}@{catalog.APP_VERSION}",
        ):
            return _cloudgene_error(
                404, f"Application {app_id} not found or the request requires user authentication."
            )
        return jsonify(catalog.app_response())

    @app.post("/api/v2/tokens/verify")
    def verify() -> Response:
        token = state().tokens.get(request.form.get("token", ""))
        if token is None or token.state != "valid" or token.expire < datetime.now(UTC):
            return jsonify(
                {
                    "valid": False,
                    "message": "Invalid API Token.",
                    "username": None,
                    "name": None,
                    "mail": None,
                    "expire": None,
                }
            )
        return jsonify(
            {
                "valid": True,
                "message": "API Token was created by %s and is valid.",
                "username": token.username,
                "name": token.username.title(),
                "mail": f"{token.username}@example.org",
                "expire": token.expire.isoformat(timespec="milliseconds"),
            }
        )

    # --- jobs (spec 4.3 - 4.6) ------------------------------------------------------------

    @app.post("/api/v2/jobs/submit/<app_id>")
    def submit(app_id: str) -> Response:
        return fake.submit(app_id)

    @app.get("/api/v2/jobs")
    def jobs() -> Response:
        username, error = fake.user()
        if error is not None:
            return error
        if state().maintenance:
            return _cloudgene_error(503, MAINTENANCE)
        own = sorted(
            (j for j in state().jobs.values() if j.username == username),
            key=lambda j: j.submitted_on,
            reverse=True,
        )
        for job in own:
            fake.refresh(job)
        page_arg = request.args.get("page")
        size = 15 if page_arg else max(len(own), 0)
        page = int(page_arg) if page_arg else (1 if own else 0)
        start = (page - 1) * size if page_arg else 0
        chosen = own[start : start + size] if page_arg else own
        pages_total = (len(own) + 14) // 15 if page_arg else (1 if own else 0)
        data = [j.to_json(position=fake.position(j), details=False) for j in chosen]
        return jsonify(
            {
                "count": len(own),
                "page": page if own else 0,
                "pageSize": size,
                "prev": page - 1 if page > 1 else None,
                "next": page + 1 if page < pages_total else None,
                "pages": [p for p in range(page - 3, page + 4) if 1 <= p <= pages_total],
                "data": data,
            }
        )

    @app.get("/api/v2/jobs/<job_id>")
    @app.get("/api/v2/jobs/<job_id>/status")
    def job_status(job_id: str) -> Response:
        job, error = fake.own_job(job_id)
        if error is not None:
            return error
        assert job is not None
        return jsonify(job.to_json(position=fake.position(job)))

    @app.get("/api/v2/jobs/<job_id>/cancel")
    def cancel(job_id: str) -> Response:
        job, error = fake.own_job(job_id)
        if error is not None:
            return error
        assert job is not None
        if job.state in RUNNING:
            job.set_state(6)
        return jsonify(job.to_json(position=fake.position(job)))

    @app.get("/api/v2/jobs/<job_id>/restart")
    def restart(job_id: str) -> Response:
        job, error = fake.own_job(job_id)
        if error is not None:
            return error
        assert job is not None
        if job.state != -1:
            return _cloudgene_error(400, f"Job {job_id} is not pending.")
        job.set_state(1)
        return jsonify(
            {
                "success": True,
                "message": "Your job was successfully added to the job queue.",
                "id": job_id,
            }
        )

    @app.delete("/api/v2/jobs/<job_id>")
    def delete(job_id: str) -> Response:
        _, error = fake.user()
        # API tokens may not delete jobs (spec 4.6): only a login token could.
        return error or _micronaut_error(403, "Forbidden", "Forbidden")

    @app.get("/logs/<job_id>")
    def logs(job_id: str) -> Response:
        job, error = fake.own_job(job_id)
        if error is not None:
            return error
        assert job is not None
        return Response(job.log_text(), content_type="text/plain")

    # --- downloads (spec 4.7) -------------------------------------------------------------

    def find_download(file_hash: str) -> tuple[FakeJob, Any] | None:
        for job in state().jobs.values():
            for download in job.downloads:
                if download.hash == file_hash:
                    return job, download
        return None

    @app.get("/share/results/<file_hash>/<path:name>")
    def share(file_hash: str, name: str) -> Response:
        state().download_log.append(
            {"path": request.path, "token_sent": "X-Auth-Token" in request.headers}
        )
        found = find_download(file_hash)
        if found is None:
            return _cloudgene_error(404, "download not found.")
        _, download = found
        if download.count == 0:
            return _cloudgene_error(400, "number of max downloads exceeded.")
        if download.count != -1:
            download.count -= 1
        if state().redirect_downloads:
            # An external (S3) workspace answers with a redirect to a pre-signed URL.
            return Response(status=301, headers={"Location": f"/_storage/{file_hash}"})
        return serve(download)

    @app.get("/_storage/<file_hash>")
    def storage(file_hash: str) -> Response:
        state().download_log.append(
            {"path": request.path, "token_sent": "X-Auth-Token" in request.headers}
        )
        found = find_download(file_hash)
        if found is None:
            return Response("NoSuchKey", status=404, content_type="application/xml")
        return serve(found[1])

    def serve(download: Any) -> Response:
        if not download.path.exists():
            return _cloudgene_error(404, "File not found in workspace.")
        response = send_file(
            download.path, mimetype=state().download_content_type, conditional=False
        )
        return response

    # --- control --------------------------------------------------------------------------

    def body() -> dict[str, Any]:
        return request.get_json(silent=True) or {}

    def fake_job(job_id: str) -> FakeJob:
        job = state().jobs[job_id]
        fake.refresh(job)
        return job

    @app.post("/_fake/reset")
    def reset() -> Response:
        with fake.lock:
            state().reset()
        return jsonify({"ok": True})

    @app.post("/_fake/tokens")
    def tokens() -> Response:
        data = body()
        with fake.lock:
            token = state().tokens.setdefault(
                data["token"], Token(data.get("username", DEFAULT_USER))
            )
            token.state = data.get("state", "valid")
            if "expire_days" in data:
                token.expire = datetime.now(UTC) + timedelta(days=float(data["expire_days"]))
        return jsonify({"ok": True})

    @app.post("/_fake/maintenance")
    def maintenance() -> Response:
        with fake.lock:
            state().maintenance = bool(body().get("on", True))
        return jsonify({"ok": True})

    @app.post("/_fake/proxy-errors")
    def proxy_errors() -> Response:
        data = body()
        with fake.lock:
            state().proxy_errors = int(data.get("count", 1))
            state().proxy_status = int(data.get("status", 503))
        return jsonify({"ok": True})

    @app.post("/_fake/job-limit")
    def job_limit() -> Response:
        with fake.lock:
            state().job_limit = int(body()["limit"])
        return jsonify({"ok": True})

    @app.post("/_fake/config")
    def config() -> Response:
        data = body()
        with fake.lock:
            for key in (
                "auto_advance_s",
                "send_mail",
                "download_content_type",
                "redirect_downloads",
            ):
                if key in data:
                    setattr(state(), key, data[key])
        return jsonify({"ok": True})

    @app.post("/_fake/jobs/<job_id>/state")
    def set_state(job_id: str) -> Response:
        data = body()
        with fake.lock:
            job = fake_job(job_id)
            job.set_state(
                int(data["state"]),
                failure=data.get("failure", "pipeline"),
                send_mail=state().send_mail,
            )
        return jsonify({"ok": True, "state": job.state})

    @app.post("/_fake/jobs/<job_id>/archive")
    def archive(job_id: str) -> Response:
        data = body()
        with fake.lock:
            job = fake_job(job_id)
            job.encryption = data.get("encryption", job.encryption)
            job.extra_members = list(data.get("extra_members", job.extra_members))
            if (job.workdir / "output" / "chr_20.zip").exists():
                job.write_archive()
        return jsonify({"ok": True})

    @app.post("/_fake/jobs/<job_id>/downloads")
    def downloads_left(job_id: str) -> Response:
        with fake.lock:
            for download in fake_job(job_id).downloads:
                download.count = int(body()["count"])
        return jsonify({"ok": True})

    @app.get("/_fake/jobs/<job_id>")
    def job_internals(job_id: str) -> Response:
        with fake.lock:
            job = fake_job(job_id)
            return jsonify(
                {
                    "state": job.state,
                    "password": job.password,
                    "params": job.params,
                    "name": job.name,
                    "downloads": {d.name: d.count for d in job.downloads},
                }
            )

    @app.get("/_fake/submissions")
    def submissions() -> Response:
        with fake.lock:
            return jsonify(state().submissions)

    @app.get("/_fake/requests")
    def requests_seen() -> Response:
        with fake.lock:
            return jsonify(dict(state().requests))

    @app.get("/_fake/downloads")
    def downloads_seen() -> Response:
        with fake.lock:
            return jsonify(state().download_log)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument(
        "--auto-advance", type=float, default=0.0, help="seconds per job state; 0 = only on request"
    )
    args = parser.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(args.state_dir)
    if args.auto_advance:
        app.test_client().post("/_fake/config", json={"auto_advance_s": args.auto_advance})
    make_server("127.0.0.1", args.port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
