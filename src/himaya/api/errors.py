"""Errors as JSON: a stable `code` a program can test and a `message` a person can read.

{"error": {"code": "not_found", "message": "no person with civil number '1234' in your branches",
           "request_id": "…", "fields": [{"field": "body.birth_date", "message": "…"}]}}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from himaya.bootstrap import busy as store_busy
from himaya.core.errors import QUOTED, Category, HimayaError, InputTableError, TooLargeError, clipped, quoted

# The one place where an error's category becomes an HTTP status.
STATUS = {
    Category.INVALID_INPUT: 422,
    Category.NOT_FOUND: 404,
    Category.CONFLICT: 409,
    Category.FORBIDDEN: 403,
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


def body(request: Request, code: str, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": getattr(request.state, "request_id", None)}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _plain(value: Any) -> Any:
    """A bad value as an answer shows it: at most `QUOTED` characters of it (never the whole 1 MB)."""
    if isinstance(value, str):
        return value if len(value) <= QUOTED else value[: QUOTED - 1] + "…"
    if isinstance(value, int | float | bool) or value is None:
        return value if len(repr(value)) <= QUOTED else quoted(value)
    return quoted(value)


def _part(step: Any) -> str:
    """One step of a bad value's place (a field name, an index, a key the caller chose: cut too)."""
    text = str(step)
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"


# Starlette's word for a multipart body its parser gave up on: malformed, or a part's header line
# (Content-Disposition, which carries the file's name) over the parser's 4,096-byte limit.
UNREADABLE_FORM = "Invalid multipart data."
UNREADABLE_FORM_SAID = (
    "file: the upload could not be read as a form (multipart/form-data): it is malformed, or a part's "
    "header is longer than 4,096 bytes, as with a file name of thousands of characters; a file's name is "
    "kept to 200 characters: rename the file and send it again"
)


def _said(message: str) -> str:
    """A validation message in the API's words: the framework's own for a form field that is not a
    file ("Expected UploadFile, received: <class 'str'>") says what to send instead."""
    if "Expected UploadFile" in message:
        return "not a file: send the file as a multipart part with its file name (filename=...)"
    return clipped(message)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(body(request, error.code, error.message, error.fields), error.status, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "field": ".".join(_part(p) for p in problem.get("loc", ())),
                "message": _said(str(problem.get("msg", "invalid"))),
                "value": _plain(problem.get("input")),
            }
            for problem in error.errors()
        ]
        first = fields[0] if fields else {"field": "?", "message": "invalid"}
        message = f"{first['field']}: {first['message']}" + (
            f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        )
        return JSONResponse(body(request, "invalid_input", message, fields), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == UNREADABLE_FORM:
            return JSONResponse(body(request, "invalid_upload", UNREADABLE_FORM_SAID, [{"field": "file"}]), 422)
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}
        return JSONResponse(
            body(request, codes.get(error.status_code, "http_error"), clipped(str(error.detail))),
            error.status_code,
            getattr(error, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def _store(request: Request, error: OperationalError) -> JSONResponse:
        if not store_busy.busy(error):
            raise error  # any other failure of the store is the server's: 500, logged
        return JSONResponse(body(request, "busy", store_busy.SAID), 503, {"Retry-After": "5"})

    @app.exception_handler(HimayaError)
    async def _domain(request: Request, error: HimayaError) -> JSONResponse:
        if isinstance(error, InputTableError):
            fields = [
                {"field": p.column, "message": clipped(p.rule), "value": _plain(p.value)}
                | ({"row": p.row} if p.row else {})
                for p in error.problems[:100]
            ]
            first = error.problems[0]
            message = f"{first.column}: {clipped(first.rule)} (value {quoted(first.value)})"
            if len(error.problems) > 1:
                message += f" (and {len(error.problems) - 1} more)"
            return JSONResponse(body(request, error.error_code, message, fields), STATUS[error.category])
        status = 413 if isinstance(error, TooLargeError) else STATUS[error.category]
        return JSONResponse(body(request, error.error_code, clipped(str(error))), status)
