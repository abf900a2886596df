"""An HTTP proxy in front of moto's S3 server that counts acknowledged parts and injects faults.

moto keeps no request log, so the proxy records every ``PUT ?partNumber=N&uploadId=U`` that the
server answered with 200 (``acks``). Faults are queued and consumed by part uploads in order:

* ``"500"``/``"503"``/``"403"``: answer with that S3 error instead of forwarding;
* ``"reset"``: drop the connection with a TCP RST before forwarding;
* ``"reset-after"``: forward (the server stores the part), then reset: the reply is lost;
* ``"stall"``: say nothing for ``stall_seconds``, then close (the client's read timeout fires).

``deny_parts`` answers every part upload with 403 AccessDenied; ``part_delay`` slows each part
down (to catch an upload in the middle). Store-and-forward, one upstream connection per request:
simple, and fast enough for test-sized files.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "content-length",
}

ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "403": (403, "AccessDenied", "Access Denied"),
}


def _part_of(method: str, path: str) -> tuple[str, int] | None:
    query = parse_qs(urlsplit(path).query)
    if method == "PUT" and "partNumber" in query and "uploadId" in query:
        return query["uploadId"][0], int(query["partNumber"][0])
    return None


class FaultProxy:
    def __init__(self, upstream: str, port: int = 0) -> None:
        """``port`` 0 takes a free one; a fixed port brings a stopped proxy's endpoint back."""
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.acks: list[tuple[str, int]] = []
        self.part_requests: list[tuple[str, int]] = []
        self.faults: deque[str] = deque()
        self.faults_done: list[str] = []
        self.deny_parts = False
        self.part_delay = 0.0
        self.stall_seconds = 3.0
        self._active = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="s3-proxy", daemon=True
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, *faults: str) -> None:
        with self._lock:
            self.faults.extend(faults)

    def ack_counts(self) -> Counter[tuple[str, int]]:
        with self._lock:
            return Counter(self.acks)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being forwarded (a killed client's last part may still be)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._active == 0:
                    return
            time.sleep(0.02)
        raise TimeoutError("the proxy is still forwarding requests")

    # -- used by the handler ----------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> str | None:
        part = _part_of(method, path)
        if part is None:
            return None
        with self._lock:
            self.part_requests.append(part)
            if self.deny_parts:
                return "403"
            if self.faults:
                fault = self.faults.popleft()
                self.faults_done.append(fault)
                return fault
        return None

    def begin(self) -> None:
        with self._lock:
            self._active += 1

    def end(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._active -= 1
            part = _part_of(method, path)
            if part is not None and status == 200:
                self.acks.append(part)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy
    _fault: str | None
    _decided: bool

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        self._decided = False  # one handler serves every request of a kept-alive connection
        self._fault = None
        super().handle_one_request()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose
            super().finish()

    def _decide(self) -> None:
        if not self._decided:
            self._decided = True
            self._fault = self.owner.take_fault(self.command, self.path)

    def handle_expect_100(self) -> bool:
        # Faults strike before the body is sent, as S3's own refusals do with 100-continue.
        self._decide()
        if self._fault in ERRORS or self._fault in ("reset", "stall"):
            self._inject()
            return False
        return super().handle_expect_100()

    def _error_reply(self, status: int, code: str, message: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>"
        ).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _inject(self) -> None:
        fault = self._fault
        if fault in ERRORS:
            self._error_reply(*ERRORS[fault])
        elif fault == "reset":
            self._reset()
        elif fault == "stall":
            time.sleep(self.owner.stall_seconds)
            self._reset()

    def _handle(self) -> None:
        self._decide()
        if self._fault in ERRORS or self._fault in ("reset", "stall"):
            self._inject()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body: nothing to forward
            return
        if _part_of(self.command, self.path) is not None and self.owner.part_delay:
            time.sleep(self.owner.part_delay)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        self.owner.begin()
        status = 0
        try:
            upstream = http.client.HTTPConnection(*self.owner.upstream, timeout=120)
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            status = response.status
            upstream.close()
        finally:
            self.owner.end(self.command, self.path, status)
        if self._fault == "reset-after":
            self._reset()
            return
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        length_header = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length_header or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle
