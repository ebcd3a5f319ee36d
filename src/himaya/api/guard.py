"""What every request goes through first (plain ASGI, no per-request task or stream): its request
id, and the refusal of NUL characters."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from himaya.db import audit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A NUL is never meaningful in what people and partners send, and PostgreSQL cannot store one:
# it is refused at the door rather than deep inside a query.
_NULS = (b"\x00", b"\\u0000", b"%00")


class RequestGuard:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        audit.REQUEST_ID.set(request_id)  # every audit entry the request writes carries it

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"cache-control", b"no-store"),  # personal data: never kept by a proxy or browser
                ]
            await send(message)

        target = (scope.get("raw_path") or scope["path"].encode()) + b"?" + scope.get("query_string", b"")
        messages: list[Message] = []
        if scope["method"] in ("POST", "PUT", "PATCH"):
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
        content = b"".join(m.get("body", b"") for m in messages)
        if any(n in target.lower() or n in content.lower() for n in _NULS):
            await _refuse(send_with_headers, request_id)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send_with_headers)


async def _refuse(send: Send, request_id: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "invalid_input",
                "message": "text may not contain NUL characters (\\u0000)",
                "request_id": request_id,
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
