"""An encrypted DCI request opened before its route parses it (`adapters/dci/encryption.py`)."""

from __future__ import annotations

import json

from fastapi import Request
from starlette.types import Message

from himaya.adapters.dci.encryption import is_encrypted, open_envelope


def decrypted(request: Request) -> Request:
    """The request with its message decrypted with our keys (`encryption.open_envelope`: a problem is
    `err.encryption.invalid`), to be parsed as a clear one; a clear request as it came. Its signature
    is checked over the message as sent (`request.state.dci_body` stays the body received)."""
    if "authorization" not in request.headers:
        return request  # refused 401 before its body is read: no decryption for a caller without a token
    try:
        body = json.loads(request.state.dci_body)
    except (ValueError, RecursionError):
        return request  # not JSON: the parser refuses it
    if not isinstance(body, dict) or not is_encrypted(body):
        return request
    clear = json.dumps(open_envelope(body, request.app.state.dci_keys.decrypting)).encode("utf-8")

    async def replay() -> Message:
        return {"type": "http.request", "body": clear, "more_body": False}

    return Request(request.scope, replay)
