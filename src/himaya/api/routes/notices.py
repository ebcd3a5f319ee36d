"""`/notify`: what people deliver. A branch's waiting letters printed as one PDF batch (and a lost
batch printed again), and the staff inbox of the user. Scoped to the user's branches in the query
itself: a batch of another branch is answered as a missing one, a branch not theirs is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.adapters.letters import render_batch
from himaya.api.bodies import RequestBody
from himaya.api.routes.letters import PDF
from himaya.api.security import current_principal, require
from himaya.cases import printing, staff
from himaya.core.access import Permission, Principal
from himaya.policy.pack import PolicyPack

router = APIRouter(prefix="/notify", tags=["notifications"])
MAX_ID = 2**31 - 1
BatchId = Annotated[int, Path(ge=1, le=MAX_ID, description="The batch's number.")]
PRINTED: dict[int | str, dict[str, Any]] = {
    **PDF,
    204: {"description": "No letter is waiting at the branch: nothing printed, nothing marked."},
}


def _pdf(done: printing.Printed, name: str) -> Response:
    return Response(
        done.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"',
            "Cache-Control": "no-store",
            "X-Letter-Batch": str(done.batch),
            "X-Letters": str(done.letters),
        },
    )


@router.post(
    "/letters",
    summary="Print a branch's waiting letters as one PDF batch, and mark them printed",
    response_class=Response,
    responses=PRINTED,
)
def print_letters(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
    branch: Annotated[str, Query(min_length=1, max_length=64, description="The branch (wilayat), e.g. Nizwa.")],
) -> Response:
    pack: PolicyPack = request.app.state.pack
    done = printing.print_letters(
        bootstrap.unit_of_work(request.app.state.engine),
        pack.cases,
        branch,
        principal=principal,
        sender=pack.institution,
        render=render_batch,
    )
    if done.batch is None:
        return Response(status_code=204, headers={"X-Letters": "0"})
    return _pdf(done, f"letters-{done.batch}")


@router.post(
    "/letters/batches/{batch_id}/reprint",
    summary="Print a batch of letters again, as it was (a lost printout); audited, nothing marked",
    response_class=Response,
    responses=PDF,
)
def reprint_letters(
    request: Request,
    batch_id: BatchId,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> Response:
    pack: PolicyPack = request.app.state.pack
    done = printing.reprint(
        bootstrap.unit_of_work(request.app.state.engine),
        pack.cases,
        batch_id,
        principal=principal,
        sender=pack.institution,
        render=render_batch,
    )
    return _pdf(done, f"letters-{batch_id}-reprint")


class StaffMessage(BaseModel):
    id: int
    recipient: str = Field(description="The role and branch it is addressed to, e.g. role:supervisor@Nizwa.")
    case: str | None = Field(description="The case it is about.")
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None = Field(description="When you marked it read (None: unread).")


class Inbox(BaseModel):
    messages: list[StaffMessage]


class ReadRequest(RequestBody):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=staff.MAX_IDS)


class Marked(BaseModel):
    marked: int


@router.get("/inbox", summary="Your staff messages (a role you hold at one of your branches), newest first")
def inbox(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    unread: Annotated[bool, Query(description="Only the messages you have not marked read.")] = False,
) -> Inbox:
    rows = staff.inbox(bootstrap.unit_of_work(request.app.state.engine), principal=principal, unread=unread)
    return Inbox(messages=[StaffMessage(**r) for r in rows])


@router.post("/inbox/read", summary="Mark messages of your inbox read (for you only)")
def mark_read(
    request: Request, body: ReadRequest, principal: Annotated[Principal, Depends(current_principal)]
) -> Marked:
    marked = staff.mark_read(bootstrap.unit_of_work(request.app.state.engine), body.ids, principal=principal)
    return Marked(marked=marked)
