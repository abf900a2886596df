"""Prometheus metrics: requests and latency per route template, and sync volume.

Each app has its own registry (tests make many apps in one process). With several uvicorn
workers each worker counts its own requests: Prometheus scrapes whichever answers, so sum over
instances or run one worker per instance behind the balancer (docs/sync-server.md, Deploying).
Labels are route templates, methods and status codes only: never ids, e-mails or tokens.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "genoflow_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "genoflow_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.records_pushed = Counter(
            "genoflow_sync_records_pushed",
            "Records received by sync pushes, by kind and outcome",
            ["kind", "status"],
            registry=self.registry,
        )
        self.records_pulled = Counter(
            "genoflow_sync_records_pulled",
            "Records sent by sync pulls, by kind",
            ["kind"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware: times every HTTP request and labels it with its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            # The router leaves the matched route in the scope; unmatched paths share one label
            # so random URLs cannot blow up the number of series.
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
