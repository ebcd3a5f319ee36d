"""An upload's file, one a request: a multipart body with the field twice would otherwise be read
as its last part only, and the first file dropped without a word (an outside attack sent two)."""

from __future__ import annotations

from fastapi import Request

from himaya.api.errors import ApiError


async def one_file(request: Request, field: str = "file") -> None:
    """Refuse (422 `invalid_upload`) a form that carries `field` more than once."""
    sent = len((await request.form()).getlist(field))
    if sent > 1:
        raise ApiError(
            422,
            "invalid_upload",
            f"{field}: {sent} files in one request: send one file a request, each in a request of its own",
            fields=[{"field": field, "message": "one file a request", "value": sent}],
        )
