"""What every request goes through first (plain ASGI, no per-request task or stream), before any
authentication: its request id; a body no larger than the limit, refused with 413 as soon as it
is passed, without reading the rest; JSON no deeper than `MAX_JSON_DEPTH` and free of lone
surrogates and NUL characters; the security headers of every answer; and a plain JSON 500 (the
request id only, never a trace or a server path) when something fails unexpectedly."""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from itertools import accumulate
from pathlib import Path
from typing import Any

import himaya
from himaya.bootstrap import audit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("himaya.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A NUL is never meaningful in what people and partners send, and PostgreSQL cannot store one:
# it is refused at the door rather than deep inside a query.
_NULS = (b"\x00", b"\\u0000", b"%00")
MAX_JSON_DEPTH = 64  # the deepest DCI envelope nests about ten levels
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the brackets, to delete
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}

# An API answers data, never a page to frame or run scripts from; the documentation page is the
# one page, and loads only its own files (served from this service, see `api/docs.py`).
API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
HEADERS = [
    (b"cache-control", b"no-store"),  # personal data: never kept by a proxy or browser
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Where the service lives on its server: an error text naming a file there (an uploaded file's
# temporary copy, a schema, the working folder) tells an attacker about the machine. Longest first.
SERVER_PATHS = sorted(
    {
        str(p).encode()
        for p in (Path(himaya.__file__).parent.parent, Path(sys.prefix), Path(tempfile.gettempdir()), Path.cwd())
        if len(str(p)) > 1
    },
    key=len,
    reverse=True,
)


class RequestGuard:
    def __init__(
        self,
        app: App,
        *,
        max_body: int = 1 << 20,
        uploads: Mapping[str, int] | None = None,
        page_policies: Mapping[str, bytes] | None = None,
        cacheable: Collection[str] = (),
        page_prefixes: Mapping[str, bytes] | None = None,
    ) -> None:
        """`max_body`: bytes a request body may have; `uploads`: other limits for some paths (file
        uploads; a key that starts with `^` is a pattern the whole path must match: a case's evidence);
        `page_policies`: the content-security policy of paths that answer a page;
        `page_prefixes`: the same for every path under a prefix (the web front office's pages);
        `cacheable`: paths of public aggregates whose own Cache-Control is kept (every other answer,
        and theirs when they set none, is no-store)."""
        self.app = app
        self.max_body = max_body
        self.uploads = {k: v for k, v in (uploads or {}).items() if not k.startswith("^")}
        self.upload_patterns = [(re.compile(k), v) for k, v in (uploads or {}).items() if k.startswith("^")]
        self.page_policies = dict(page_policies or {})
        self.cacheable = frozenset(cacheable)
        self.page_prefixes = sorted((page_prefixes or {}).items(), key=lambda p: len(p[0]), reverse=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        audit.REQUEST_ID.set(request_id)  # every audit entry the request writes carries it
        started = False
        extra = self._headers(scope)
        held: list[Message] = []  # an error answer, kept until its body is whole, to scrub it

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # Only the cacheable paths keep a Cache-Control of their own; every other answer is no-store.
                cacheable = scope["path"] in self.cacheable
                dropped = {b"server"} if cacheable else {b"server", b"cache-control"}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dropped]
                own = cacheable and any(k.lower() == b"cache-control" for k, _ in kept)
                present = {(k.lower(), v) for k, v in kept}  # a header the answer holds already is not sent twice
                added = [h for h in extra if not (own and h[0] == b"cache-control") and h not in present]
                message["headers"] = [*kept, (b"x-request-id", request_id.encode()), *added]
                if message["status"] >= 400:
                    held.append(message)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body"):
                    return
                await _send_scrubbed(send, held)
                return
            await send(message)

        limit = self._limit(scope["path"])
        messages, refusal = await _read_body(receive, headers, limit)
        if refusal is None:
            content = b"".join(m.get("body", b"") for m in messages)
            refusal = _check(scope, headers, content, upload=self._upload(scope["path"]))
        if refusal is not None:
            await self._refuse(scope, send_with_headers, request_id, *refusal)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        try:
            await self.app(scope, replay, send_with_headers)
        except Exception:
            log.exception("request %s failed", request_id)
            if started:
                raise
            await self._refuse(scope, send_with_headers, request_id, 500, "internal_error", "the service failed")

    async def _refuse(self, scope: Scope, send: Send, request_id: str, status: int, code: str, message: str) -> None:
        """The API's JSON refusal, or on a page's path a page (the office's, or the public one's)."""
        path = scope["path"]
        if not self._page(path):
            await _refuse(send, request_id, status, code, message + (": see its log" if status == 500 else ""))
            return
        back = "/public" if path.startswith("/public") else "/office/"
        await _refuse_page(send, request_id, status, code, message, back=back)

    def _page(self, path: str) -> bool:
        """A front office or public page: its refusals are pages too, not the API's JSON."""
        return path in self.page_policies or any(path == p or path.startswith(p + "/") for p, _ in self.page_prefixes)

    def _upload(self, path: str) -> bool:
        return path in self.uploads or any(pattern.fullmatch(path) for pattern, _ in self.upload_patterns)

    def _limit(self, path: str) -> int:
        if path in self.uploads:
            return self.uploads[path]
        return next((limit for pattern, limit in self.upload_patterns if pattern.fullmatch(path)), self.max_body)

    def _headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        path = scope["path"]
        policy = self.page_policies.get(path) or next(
            (p for prefix, p in self.page_prefixes if path == prefix or path.startswith(prefix + "/")), API_POLICY
        )
        https = [HSTS] if scope.get("scheme") == "https" else []  # behind TLS (or a trusted TLS proxy)
        return [*HEADERS, (b"content-security-policy", policy), *https]


async def _read_body(
    receive: Receive, headers: Mapping[bytes, bytes], limit: int
) -> tuple[list[Message], tuple[int, str, str] | None]:
    """The body's messages, read as they come, until `limit` is passed (then a 413, unread rest)."""
    too_large = (413, "too_large", f"the request body may have at most {limit:,} bytes")
    declared = headers.get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return [], too_large
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > limit:
            return messages, too_large
        if message["type"] != "http.request" or not message.get("more_body"):
            return messages, None


def _check(
    scope: Scope, headers: Mapping[bytes, bytes], content: bytes, *, upload: bool = False
) -> tuple[int, str, str] | None:
    """`upload`: a file upload's path; a multipart body there is binary (an image holds NUL bytes):
    the endpoint checks the file and its name."""
    target = (scope.get("raw_path") or scope["path"].encode()) + b"?" + scope.get("query_string", b"")
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    binary = upload and kind == b"multipart/form-data"
    if any(n in target.lower() or (not binary and n in content.lower()) for n in _NULS):
        return 422, "invalid_input", "text may not contain NUL characters (\\u0000)"
    if not content or not (kind in {b"", b"application/json"} or kind.endswith(b"+json")):
        return None
    if json_depth(content) > MAX_JSON_DEPTH:
        return 422, "invalid_input", f"JSON may nest at most {MAX_JSON_DEPTH} levels"
    try:
        value = json.loads(content)
    except (ValueError, RecursionError):
        return None  # not JSON: the endpoint's own parsing says what is wrong
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return 422, "invalid_input", "text may not contain lone surrogates (such as \\ud800): not Unicode characters"
    return None


def json_depth(content: bytes) -> int:
    """How deep a JSON text's arrays and objects nest (brackets inside strings do not count).

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    brackets = _STRINGS.sub(b"", content).translate(None, _BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


async def _send_scrubbed(send: Send, messages: list[Message]) -> None:
    """An error answer with the server's own paths taken out of its text."""
    start, body = messages[0], b"".join(m.get("body", b"") for m in messages[1:])
    for path in SERVER_PATHS:
        body = body.replace(path, b"...")
    start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    start["headers"].append((b"content-length", str(len(body)).encode()))
    await send(start)
    await send({"type": "http.response.body", "body": body})


_SAID_AR = {  # the guard answers before the page knows the reader's language: both are shown
    "too_large": "الطلب أو الملف أكبر من الحد المسموح به.",
    "invalid_input": "يحتوي الطلب على محارف غير مقبولة.",
}


async def _refuse_page(send: Send, request_id: str, status: int, code: str, message: str, *, back: str) -> None:
    """A refusal as a page, in Arabic and English, with a way back (the office, or the public page)."""
    arabic = _SAID_AR.get(code, "تعذّر قبول الطلب.")
    body = (
        '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>حماية · Himaya</title></head>'
        f'<body><main><h1>{arabic}</h1><p dir="ltr" lang="en">{html.escape(message)}</p>'
        f'<p><a href="{back}">رجوع</a> · <a href="{back}" lang="en">Back</a></p>'
        f'<p dir="ltr"><small>{html.escape(request_id)}</small></p></main></body></html>'
    ).encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, request_id: str, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "request_id": request_id}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
