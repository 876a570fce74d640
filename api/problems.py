"""Errors as ``application/problem+json`` (RFC 9457), each with a stable ``type``.

A client branches on ``type`` (a URN that never changes for an error), shows ``title`` and
``detail`` to a person, and for bad input reads ``field``. Nothing raised inside a handler
reaches the client as a traceback: what is not one of these is an ``internal`` problem,
logged here with its traceback for the operator.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("hvconnect.api")
MEDIA_TYPE = "application/problem+json"


class Kind(StrEnum):
    """Every error the API answers with: its status and title."""

    BAD_REQUEST = "bad-request"
    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    CONFLICT = "conflict"  # a write naming a version the application has moved past
    RATE_LIMITED = "rate-limited"
    INTERNAL = "internal"

    @property
    def uri(self) -> str:
        return f"urn:hvconnect:problem:{self.value}"


STATUS_AND_TITLE: dict[Kind, tuple[int, str]] = {
    Kind.BAD_REQUEST: (400, "The request cannot be read"),
    Kind.INVALID: (422, "A parameter is not valid"),
    Kind.UNAUTHORIZED: (401, "No valid API key"),
    Kind.FORBIDDEN: (403, "The key lacks the scope this call needs"),
    Kind.NOT_FOUND: (404, "No such resource"),
    Kind.METHOD_NOT_ALLOWED: (405, "Method not allowed here"),
    Kind.CONFLICT: (409, "The application has changed since the version given"),
    Kind.RATE_LIMITED: (429, "Too many calls; wait and try again"),
    Kind.INTERNAL: (500, "The server failed; the operator has the details"),
}


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None  # the parameter at fault, for bad input


class ProblemError(Exception):
    def __init__(
        self,
        kind: Kind,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.field, self.headers = kind, detail, field, headers


def problem_response(
    kind: Kind, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    status, title = STATUS_AND_TITLE[kind]
    body = Problem(type=kind.uri, title=title, status=status, detail=detail, field=field)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def documented(*kinds: Kind) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: these problems, as the OpenAPI document shows them."""
    schema = Problem.model_json_schema()
    return {
        STATUS_AND_TITLE[kind][0]: {
            "description": STATUS_AND_TITLE[kind][1],
            "content": {MEDIA_TYPE: {"schema": schema}},
        }
        for kind in kinds
    }


def _field_of(location: tuple[Any, ...]) -> str:
    # ("query", "limit") -> "limit"; a header or path parameter alike.
    named = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(named)


def install(app: FastAPI) -> None:
    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.kind, exc.detail, field=exc.field, headers=exc.headers)

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {"loc": ("request",), "msg": "invalid"}
        field = _field_of(tuple(first.get("loc", ())))
        return problem_response(Kind.INVALID, f"{field}: {first.get('msg')}", field=field)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = {
            400: Kind.BAD_REQUEST,
            401: Kind.UNAUTHORIZED,
            403: Kind.FORBIDDEN,
            404: Kind.NOT_FOUND,
            405: Kind.METHOD_NOT_ALLOWED,
        }.get(exc.status_code, Kind.BAD_REQUEST)
        # A 405 keeps Starlette's Allow header (RFC 9110 requires it).
        headers = None if exc.headers is None else dict(exc.headers)
        return problem_response(kind, str(exc.detail), headers=headers)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API call %s %s failed", request.method, request.url.path, exc_info=exc)
        return problem_response(Kind.INTERNAL, "an unexpected error; it has been logged")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
