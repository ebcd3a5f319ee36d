"""A case's evidence from the front office: a file (PDF, JPEG, PNG) attached on the case page, and
its download. The same actions as the API's `POST /cases/{n}/evidence` and its download
(`cases.evidence`): the type sniffed from the content, the size limit, content-addressed storage,
the user's branches, and an audit entry for each download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from himaya import bootstrap
from himaya.cases import evidence
from himaya.core.errors import HimayaError, InvalidInputError, NamedRuleError, TooLargeError
from himaya.web.pages import PageError, Visitor, explain, officer, posted, redirect
from himaya.web.routes.cases import NUMBER, show_case

router = APIRouter(prefix="/office/cases", include_in_schema=False)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def _refusal(seen: Visitor, error: HimayaError, limit: int) -> tuple[int, str]:
    if isinstance(error, TooLargeError):
        megabytes = seen.locale.number(max(1, limit >> 20))
        return 413, seen._("The file is too large: at most {megabytes} MB.").format(megabytes=megabytes)
    if isinstance(error, NamedRuleError):
        _ = seen._
        said = {
            "file.name": _(
                "The file's name cannot be used: at most {most} letters, without control or direction characters."
            ),
            "file.empty": _("The file is empty."),
            "file.ending": _("The file's name does not match its content: name it …{ending}."),
        }.get(error.rule)
        if said is not None:
            values = {k: seen.locale.figures(v) for k, v in error.values.items()}
            return 422, said.format(**values)
    if isinstance(error, InvalidInputError):
        return 422, seen._("The file is empty or is not a PDF, JPEG or PNG.")
    return explain(seen, error)


@router.post("/{number}/evidence")
async def attach(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    _: Annotated[object, Depends(posted)],
    number: str,
) -> Response:
    """Attach the form's file to the case; the page again with the reason when it is refused."""
    if not NUMBER.match(number):
        raise PageError(404, seen._("No such record in your branches."))
    uploads = (await request.form()).getlist("file")  # the form `posted` read (and checked) already
    if len(uploads) > 1:  # else the last would be kept and the others dropped without a word
        return await run_in_threadpool(show_case, request, seen, number, seen._("Attach one file at a time."), 422)
    upload = uploads[0] if uploads else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await run_in_threadpool(show_case, request, seen, number, seen._("Choose a file first."), 422)
    limit = request.app.state.settings.evidence_max_bytes
    content = await upload.read(limit + 1)  # one byte more than allowed tells a file too large
    try:
        await run_in_threadpool(
            evidence.attach,
            bootstrap.unit_of_work(request.app.state.engine),
            bootstrap.evidence_files(),
            number,
            upload.filename,
            content,
            max_bytes=limit,
            principal=seen.user,
        )
    except HimayaError as error:
        status, message = _refusal(seen, error, limit)
        if status == 404:
            raise PageError(status, message) from None
        return await run_in_threadpool(show_case, request, seen, number, message, status)
    return redirect(f"/office/cases/{number}")


@router.get("/{number}/evidence/{sha256}")
def download(request: Request, seen: Annotated[Visitor, Depends(officer)], number: str, sha256: str) -> Response:
    """The file, as a download (never shown inline), under a name of our own: the uploader's file
    name stays on the page, not in a response header."""
    if not NUMBER.match(number) or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise PageError(404, seen._("No such record in your branches."))
    try:
        row, content = evidence.download(
            bootstrap.unit_of_work(request.app.state.engine), bootstrap.evidence_files(), number, sha256,
            principal=seen.user,
        )  # fmt: skip
    except HimayaError as error:
        raise PageError(*explain(seen, error)) from None
    name = f"{number}-{sha256[:12]}.{EXTENSIONS.get(row['media_type'], 'bin')}"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        # The API's policy for a file somebody uploaded (the pages' own is sent beside it: a browser
        # applies both, so nothing in the file may load or run even if it were ever shown inline).
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    }
    return Response(content, media_type=row["media_type"], headers=headers)
