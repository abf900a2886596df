"""Every error leaves the server as JSON ``{"detail": "...", "code": "..."}`` (docs/sync-server.md).

``code`` is stable for programs. Bad input is a 4xx, never a 500: validation errors (pydantic's,
and malformed JSON) become 422 ``validation_error`` without echoing the input, which may hold a
password.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
}


class ErrorBody(BaseModel):
    detail: str
    code: str


class ApiError(Exception):
    """Raised by routes and services; rendered by :func:`install_handlers`."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def not_found(what: str = "Not found") -> ApiError:
    return ApiError(404, "not_found", what)


def forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", detail)


def invalid_record(detail: str) -> ApiError:
    return ApiError(422, "validation_error", detail)


def unauthorized(code: str, detail: str) -> ApiError:
    # RFC 6750: a 401 names the scheme the client should use.
    return ApiError(401, code, detail, {"WWW-Authenticate": "Bearer"})


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    return {status: {"model": ErrorBody} for status in statuses}


def _json(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Any:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        parts.append(f"{location or 'body'}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, error: Exception) -> Any:
        assert isinstance(error, ApiError)
        return _json(error.status, error.code, error.detail, error.headers)

    async def validation_error(_request: Request, error: Exception) -> Any:
        assert isinstance(error, RequestValidationError)
        return _json(422, "validation_error", _validation_message(error))

    async def http_error(_request: Request, error: Exception) -> Any:
        assert isinstance(error, StarletteHTTPException)
        code = _CODE_BY_STATUS.get(error.status_code, "error")
        return _json(error.status_code, code, str(error.detail), getattr(error, "headers", None))

    async def server_error(_request: Request, error: Exception) -> Any:
        # A bug: logged with its traceback, answered without details.
        log.error("internal error", exc_info=error)
        return _json(500, "internal_error", "Internal server error")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
