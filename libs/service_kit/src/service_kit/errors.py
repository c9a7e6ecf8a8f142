"""Errors in the RealWorld body: ``{"errors": {"field": ["message"]}}``.

Domain code raises :class:`APIError` (or a subclass carrying its status); one set of
handlers renders every failure, including validation errors, in that body, so a client
never sees FastAPI's default shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = structlog.get_logger(__name__)

ErrorMap = Mapping[str, Sequence[str]]
UNAVAILABLE = "is unavailable, try again shortly"
# FastAPI's detail when reading the request body fails other than as a JSON syntax error.
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


class ErrorBody(BaseModel):
    """The contract's GenericErrorModel, for OpenAPI documentation."""

    errors: dict[str, list[str]]


class APIError(Exception):
    """An error the client should see, with its status and RealWorld error map."""

    status_code = 422

    def __init__(
        self,
        errors: ErrorMap,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(errors)
        self.errors = {key: list(messages) for key, messages in errors.items()}
        if status_code is not None:
            self.status_code = status_code
        self.headers = dict(headers or {})


class Unauthorized(APIError):
    status_code = 401

    def __init__(self, message: str = "is missing") -> None:
        super().__init__({"token": [message]}, headers={"WWW-Authenticate": "Token"})


class Forbidden(APIError):
    status_code = 403

    def __init__(self, resource: str = "resource") -> None:
        super().__init__({resource: ["forbidden"]})


class NotFound(APIError):
    status_code = 404

    def __init__(self, resource: str = "resource") -> None:
        super().__init__({resource: ["not found"]})


class Conflict(APIError):
    status_code = 409

    def __init__(self, field: str, message: str = "has already been taken") -> None:
        super().__init__({field: [message]})


class TooManyRequests(APIError):
    status_code = 429

    def __init__(self, retry_after_seconds: int, field: str = "request") -> None:
        super().__init__(
            {field: ["too many attempts, try again later"]},
            headers={"Retry-After": str(max(1, retry_after_seconds))},
        )


class ServiceUnavailable(APIError):
    status_code = 503

    def __init__(self, dependency: str, message: str = UNAVAILABLE) -> None:
        super().__init__({dependency: [message]}, headers={"Retry-After": "1"})


def error_response(
    status_code: int, errors: ErrorMap, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"errors": {key: list(messages) for key, messages in errors.items()}}
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def describe_validation_error(error: Mapping[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into the RealWorld ``(field, message)`` pair."""
    location = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    field = location[-1] if location and location[-1] not in {"body", "query", "path"} else "body"
    if kind == "json_invalid":
        return "body", "is not valid JSON"
    if kind == "missing":
        return field, "can't be blank"
    if kind == "extra_forbidden":
        return field, "is not allowed"
    if kind in {"string_too_long", "too_long"}:
        limit = context.get("max_length")
        return field, f"is too long (maximum is {limit} characters)"
    if kind in {"string_too_short", "too_short"}:
        limit = context.get("min_length")
        if limit == 1:
            return field, "can't be blank"
        return field, f"is too short (minimum is {limit} characters)"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        if field == "body" and kind in {"model_attributes_type", "dict_type"}:
            return field, "must be a JSON object"
        return field, "has the wrong type"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        return field, str(error.get("msg", "is out of range")).lower()
    if kind == "value_error":
        # Our own validators raise ValueError with the RealWorld message itself.
        message = str(context.get("error", error.get("msg", "is invalid")))
        return field, message
    return field, "is invalid"


def validation_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for error in errors:
        field, message = describe_validation_error(error)
        if message not in grouped.setdefault(field, []):
            grouped[field].append(message)
    return grouped


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return error_response(exc.status_code, exc.errors, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, validation_errors(exc.errors()))


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    return ", ".join(
        method
        for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        # RFC 9110 15.5.6: a 405 lists the methods the resource supports (found by fuzzing).
        headers["Allow"] = allowed
    if exc.status_code == 400 and exc.detail == FASTAPI_BODY_PARSE_ERROR:
        # A JSON body that is not UTF-8 (json.loads raises UnicodeDecodeError, which FastAPI
        # answers with an undocumented 400): the same 422 as any other malformed JSON.
        return error_response(422, {"body": ["is not valid JSON"]})
    messages = {
        404: ("path", "not found"),
        405: ("method", "is not allowed"),
        413: ("body", "is too large"),
    }
    field, message = messages.get(exc.status_code, ("request", str(exc.detail).lower()))
    return error_response(exc.status_code, {field: [message]}, headers)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DataError):
        # Input PostgreSQL cannot store (a NUL byte, say) is the client's mistake.
        return error_response(422, {"body": ["contains characters that cannot be stored"]})
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError | InterfaceError):
        return await _unexpected_error(request, exc)
    log.warning("database_unavailable", error=type(exc).__name__, detail=str(exc)[:200])
    return error_response(
        503, {"database": ["is unavailable, try again shortly"]}, {"Retry-After": "1"}
    )


async def _redis_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return await _unexpected_error(request, exc)  # a command error is our bug
    log.warning("redis_unavailable", error=type(exc).__name__, detail=str(exc)[:200])
    return error_response(
        503, {"cache": ["is unavailable, try again shortly"]}, {"Retry-After": "1"}
    )


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", error=type(exc).__name__)
    return error_response(500, {"server": ["unexpected error"]})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Connection-level database failures (stopped, frozen, pool exhausted) are the
    # platform's problem, not the client's: 503 so clients and the mesh retry.
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(RedisError, _redis_error)
    app.add_exception_handler(Exception, _unexpected_error)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the given error statuses."""
    return {status: {"model": ErrorBody} for status in statuses}
