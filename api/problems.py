"""Errors as ``application/problem+json`` (RFC 9457), each with a stable ``type``.

A client branches on ``type`` (a URN that never changes for an error), shows ``title`` and
``detail`` to a person, and for bad input reads ``field``. Nothing raised inside a handler
reaches the client as a traceback: what is not one of these is an ``internal`` problem,
logged here with its traceback for the operator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

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
    KEY_REUSED = "idempotency-key-reused"  # the same Idempotency-Key with another body
    ACTION_REFUSED = "action-refused"  # an action nobody's authority can record here
    WRONG_STEP = "wrong-step"  # an action that does not apply where the application stands
    UNAVAILABLE = "unavailable"  # the bot is still starting
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
    Kind.KEY_REUSED: (409, "The Idempotency-Key was used before for another request"),
    Kind.ACTION_REFUSED: (403, "This action cannot be recorded through the API"),
    Kind.WRONG_STEP: (409, "The action does not apply where the application stands"),
    Kind.UNAVAILABLE: (503, "The service is starting; try again shortly"),
    Kind.RATE_LIMITED: (429, "Too many calls; wait and try again"),
    Kind.INTERNAL: (500, "The server failed; the operator has the details"),
}


class FieldProblem(BaseModel):
    """One bad value of a request: the field and a stable code saying why."""

    field: str
    code: str = Field(description="e.g. `uscc.check`, `choice.invalid`, `mobile.format`")
    params: dict[str, Any] = Field(
        default_factory=dict, description="what the code's message needs (a limit, choices)"
    )


class Problem(BaseModel):
    """An RFC 9457 problem details object, with the extension members some errors carry."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None  # the parameter at fault, for bad input
    errors: list[FieldProblem] | None = Field(
        default=None, description="every bad value of the request, when there are several"
    )
    reason: str | None = Field(
        default=None, description="why an action was refused (a stable code)"
    )
    current_version: int | None = Field(
        default=None, description="with `conflict`: the application's version now"
    )
    number: str | None = Field(
        default=None, description="the application the problem concerns, when it exists"
    )


def plain(params: Mapping[str, object]) -> dict[str, Any]:
    """A validator's parameters as JSON holds them (a list of choices, a limit, a date)."""
    encoded: dict[str, Any] = jsonable_encoder(dict(params))
    return encoded


@dataclass(frozen=True)
class Extra:
    """The extension members of one problem (see :class:`Problem`)."""

    errors: tuple[FieldProblem, ...] | None = None
    reason: str | None = None
    current_version: int | None = None
    number: str | None = None


class ProblemError(Exception):
    def __init__(
        self,
        kind: Kind,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: Extra | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.field, self.headers = kind, detail, field, headers
        self.extra = extra or Extra()


def problem_response(
    kind: Kind,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: Extra | None = None,
) -> JSONResponse:
    status, title = STATUS_AND_TITLE[kind]
    extra = extra or Extra()
    body = Problem(
        type=kind.uri,
        title=title,
        status=status,
        detail=detail,
        field=field,
        errors=None if extra.errors is None else list(extra.errors),
        reason=extra.reason,
        current_version=extra.current_version,
        number=extra.number,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def documented(*kinds: Kind) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: these problems, as the OpenAPI document shows them."""
    schema = _inlined(Problem.model_json_schema())
    return {
        STATUS_AND_TITLE[kind][0]: {
            "description": STATUS_AND_TITLE[kind][1],
            "content": {MEDIA_TYPE: {"schema": schema}},
        }
        for kind in kinds
    }


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` written in place: a response's schema in the OpenAPI
    document cannot point at definitions of its own."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _allowed(request: Request) -> str:
    """Every method some route serves at this path: Starlette's own Allow names only the
    first route whose path matched (a path with a GET and a POST route would list one)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, BaseRoute):
            found, _ = route.matches({**request.scope, "method": "GET"})
            if found is not Match.NONE:
                methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


def _field_of(location: tuple[Any, ...]) -> str:
    # ("query", "limit") -> "limit"; a header or path parameter alike.
    named = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(named)


def install(app: FastAPI) -> None:
    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            exc.kind, exc.detail, field=exc.field, headers=exc.headers, extra=exc.extra
        )

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        found = exc.errors() or [{"loc": ("request",), "msg": "invalid", "type": "invalid"}]
        first = found[0]
        field = _field_of(tuple(first.get("loc", ())))
        # A header that cannot be used (an Idempotency-Key too long) makes the request
        # unreadable rather than a value invalid; a body's bad values are listed all at once.
        header = any(tuple(e.get("loc", ()))[:1] == ("header",) for e in found)
        errors = tuple(
            FieldProblem(field=_field_of(tuple(e.get("loc", ()))), code=str(e.get("type")))
            for e in found
        )
        return problem_response(
            Kind.BAD_REQUEST if header else Kind.INVALID,
            f"{field}: {first.get('msg')}",
            field=field,
            extra=Extra(errors=errors),
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
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
        if kind is Kind.METHOD_NOT_ALLOWED:
            headers = (headers or {}) | {"Allow": _allowed(request)}
        return problem_response(kind, str(exc.detail), headers=headers)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API call %s %s failed", request.method, request.url.path, exc_info=exc)
        return problem_response(Kind.INTERNAL, "an unexpected error; it has been logged")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
