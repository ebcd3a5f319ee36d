"""`/cases`: open a case, a branch's inbox, the overdue cases, one case with its history, and the
steps of its life (assign, note, move on or decide, close). Each request is one action of
`himaya.cases.actions`: scoped to the user's branches in the query itself (a case of another branch,
or a sensitive case for a user who may not see those, is answered exactly as a missing one), and
audited in the same transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from himaya import bootstrap
from himaya.api.bodies import RequestBody
from himaya.api.downloads import download_headers
from himaya.api.security import require
from himaya.api.uploads import one_file
from himaya.cases import actions, evidence
from himaya.cases.model import MAX_TEXT, CaseView, Inbox, NewCase
from himaya.cases.ports import ApplicationsUnitOfWork
from himaya.core.access import Permission, Principal
from himaya.policy.case_types import CaseCatalogue

router = APIRouter(prefix="/cases", tags=["cases"])

CaseNumber = Annotated[
    str, Path(pattern=r"^C-[0-9]{4}-[0-9]{6,9}$", description="The case number, e.g. C-2026-000001.")
]
MAX_VERSION = 2**31 - 1
# The guard's upload limit applies here: the API's path, and the front office's (`web/routes/evidence.py`).
EVIDENCE_PATH = r"^(?:/office)?/cases/C-[0-9]{4}-[0-9]{6,9}/evidence$"
FORM_OVERHEAD = 64 << 10  # bytes of a multipart body beside the file (boundaries, headers)
Sha = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The file's SHA-256 (hex, lower case).")]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


def _uow(request: Request) -> ApplicationsUnitOfWork:
    return bootstrap.unit_of_work(request.app.state.engine)


def _catalogue(request: Request) -> CaseCatalogue:
    catalogue: CaseCatalogue = request.app.state.pack.cases
    return catalogue


class CaseRequest(RequestBody):
    type: Key = Field(description="The case type (docs/cases.md), e.g. grievance.")
    channel: Literal["branch", "phone", "web", "partner", "anonymous"] = "branch"
    civil_number: str | None = Field(
        default=None, pattern=r"^[0-9]{1,16}$", description="The person (none: anonymous)."
    )
    wilayat: str | None = Field(default=None, max_length=64, description="The branch (default: the person's wilayat).")
    category: Key | None = None
    subject: str | None = Field(default=None, max_length=200)
    sensitive: bool = Field(default=False, description="Only for the roles holding case.sensitive.")
    language: Literal["ar", "en"] = Field(default="ar", description="Of the messages to the person.")
    form: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=50)


class CaseOpened(BaseModel):
    number: str
    version: int = Field(description="Send it with your next step on the case.")
    state: str
    due_on: date | None
    sensitive: bool
    notifications: int = Field(description="Messages to the person put in the outbox.")


@router.post("", status_code=201, summary="Open a case")
def open_case(
    request: Request, body: CaseRequest, principal: Annotated[Principal, Depends(require(Permission.CASE_OPEN))]
) -> CaseOpened:
    opened = actions.open_case(_uow(request), _catalogue(request), NewCase(**body.model_dump()), principal=principal)
    return CaseOpened(
        number=opened.number,
        version=opened.version,
        state=opened.state,
        due_on=opened.due_on,
        sensitive=opened.sensitive,
        notifications=opened.notifications,
    )


class CaseSummary(BaseModel):
    number: str
    type: str
    state: str
    sla: str = Field(description="on_track, at_risk, breached, or none (no deadline).")
    due_on: date | None
    wilayat: str
    governorate: str
    civil_number: str | None
    category: str | None
    subject: str | None
    sensitive: bool
    assigned_to: str | None
    version: int
    opened_at: datetime


class Cases(BaseModel):
    cases: list[CaseSummary]
    page: int
    page_size: int = 50


def _summary(row: dict[str, Any]) -> CaseSummary:
    return CaseSummary.model_validate({k: row.get(k) for k in CaseSummary.model_fields})


@router.get("", summary="A branch inbox: the cases of your branches, by due date")
def inbox(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.CASE_READ))],
    wilayat: Annotated[str | None, Query(max_length=64)] = None,
    governorate: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    type: Annotated[str | None, Query(max_length=32)] = None,
    due_before: Annotated[date | None, Query(description="Due on or before this day.")] = None,
    assigned_to: Annotated[str | None, Query(max_length=64)] = None,
    closed: Annotated[bool, Query(description="Include closed cases.")] = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Cases:
    wanted = Inbox(wilayat, governorate, state, type, due_before, assigned_to, not closed, page)
    rows = actions.inbox(_uow(request), _catalogue(request), wanted, principal=principal)
    return Cases(cases=[_summary(r) for r in rows], page=page)


@router.get("/overdue", summary="The open cases of your branches past or near their deadline")
def overdue(request: Request, principal: Annotated[Principal, Depends(require(Permission.CASE_READ))]) -> Cases:
    rows = actions.overdue(_uow(request), _catalogue(request), principal=principal)
    return Cases(cases=[_summary(r) for r in rows], page=1, page_size=len(rows))


class CaseDetail(CaseSummary):
    channel: str
    form: dict[str, Any]
    opened_by: str
    prepared_by: str | None
    decided_by: str | None
    decision: str | None
    reason: str | None
    rules: dict[str, Any] | None = Field(
        default=None, description="An application's verdict of the rules: entitled, and the failed conditions (en/ar)."
    )
    record_version: int | None = Field(
        default=None, description="A change request: the version of the person's record when it was opened."
    )
    reversed_by: str | None = Field(default=None, description="The appeal that reversed this case's decision.")
    moves: list[str] = Field(description="The states the case may move to now.")
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, description="Its files: sha256, media_type, filename, size, uploaded_by, uploaded_at."
    )
    events: list[dict[str, Any]] = Field(description="Its history: opened, assigned, notes, moves, decisions.")
    messages: list[dict[str, Any]] = Field(description="The messages it put in the outbox.")


def _detail(view: CaseView) -> CaseDetail:
    fields = {k: view.case.get(k) for k in CaseDetail.model_fields if k in view.case}
    events = [{k: v for k, v in e.items() if k not in ("id", "case_id")} for e in view.events]
    shown = ("channel", "recipient", "language", "subject", "body", "state", "created_at", "sent_at")
    messages = [{k: m[k] for k in shown} for m in view.messages]
    return CaseDetail.model_validate(
        {**fields, "sla": view.sla.value, "moves": list(view.moves), "events": events, "messages": messages}
        | {"evidence": view.evidence}
    )


@router.get("/{number}", summary="One case with its history and messages")
def show(
    request: Request, number: CaseNumber, principal: Annotated[Principal, Depends(require(Permission.CASE_READ))]
) -> CaseDetail:
    return _detail(actions.show(_uow(request), _catalogue(request), number, principal=principal))


class Step(RequestBody):
    version: int = Field(ge=1, le=MAX_VERSION, description="The version you read: refused if the case changed since.")


class Assignment(Step):
    to: str = Field(min_length=1, max_length=64, description="The user who will work the case.")


class Written(BaseModel):
    number: str
    version: int | None = Field(description="The case's version now (a note does not change it).")
    state: str | None = None
    due_on: date | None = None
    decision: str | None = None
    notifications: int = 0
    rules: dict[str, Any] | None = None
    wrote: dict[str, Any] | None = Field(
        default=None,
        description="What the decision wrote to the registry: a change (from, to), or an appeal's reversal.",
    )


@router.post("/{number}/assign", summary="Give the case to a user")
def assign(
    request: Request,
    number: CaseNumber,
    body: Assignment,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> Written:
    version = actions.assign(_uow(request), number, body.to, expected_version=body.version, principal=principal)
    return Written(number=number, version=version)


class NoteBody(RequestBody):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


@router.post("/{number}/notes", status_code=201, summary="Add a note to the case's history")
def add_note(
    request: Request,
    number: CaseNumber,
    body: NoteBody,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> Written:
    actions.note(_uow(request), number, body.text, principal=principal)
    return Written(number=number, version=None)


class Decision(Step):
    to: Key = Field(description="The state to move the case to (a decision where its type says so).")
    reason: str | None = Field(default=None, max_length=MAX_TEXT, description="Required for a decision.")
    override: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="A supervisor's reason to approve an application (or grant an appeal against its refusal) the"
        " rules do not support (recorded).",
    )
    override_until: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}-[0-9]{2}$",
        description="Required with an override: the last month its exception holds, the review date (YYYY-MM).",
    )
    override_amount: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?$",
        description="Required with an override: the monthly amount its exception pays, e.g. 130.000.",
    )


class Closing(Step):
    reason: str | None = Field(default=None, max_length=MAX_TEXT)


def _written(moved: Any) -> Written:
    return Written(
        number=moved.number,
        version=moved.version,
        state=moved.state,
        due_on=moved.due_on,
        decision=moved.decision,
        notifications=moved.notifications,
        rules=moved.rules,
        wrote=moved.wrote,
    )


@router.post("/{number}/decision", summary="Move the case on: a step of its work, or a decision")
def decide(
    request: Request,
    number: CaseNumber,
    body: Decision,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> Written:
    moved = actions.move(
        _uow(request),
        _catalogue(request),
        number,
        body.to,
        expected_version=body.version,
        reason=body.reason,
        principal=principal,
        desk=bootstrap.application_desk(request.app.state.pack),
        override=body.override,
        override_until=body.override_until,
        override_amount=body.override_amount,
    )
    return _written(moved)


@router.post("/{number}/close", summary="Close the case")
def close(
    request: Request,
    number: CaseNumber,
    body: Closing,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> Written:
    moved = actions.close(
        _uow(request),
        _catalogue(request),
        number,
        expected_version=body.version,
        reason=body.reason,
        principal=principal,
    )
    return _written(moved)


class EvidenceOut(BaseModel):
    number: str
    sha256: str
    media_type: str
    size: int
    filename: str
    new: bool = Field(description="False: the case held this very file already.")


@router.post("/{number}/evidence", summary="Attach evidence (PDF, JPEG, PNG) to a case", status_code=201)
async def attach(
    request: Request,
    number: CaseNumber,
    file: UploadFile,
    principal: Annotated[Principal, Depends(require(Permission.CASE_WORK))],
) -> EvidenceOut:
    await one_file(request)
    limit = request.app.state.settings.evidence_max_bytes
    content = await file.read(limit + 1)  # one byte more than allowed tells a file too large
    attached = evidence.attach(
        _uow(request), bootstrap.evidence_files(), number, file.filename or "", content,
        max_bytes=limit, principal=principal,
    )  # fmt: skip
    return EvidenceOut(**vars(attached))


@router.get("/{number}/evidence/{sha256}", summary="Download a case's evidence file (audited)")
def download(
    request: Request,
    number: CaseNumber,
    sha256: Sha,
    principal: Annotated[Principal, Depends(require(Permission.CASE_READ))],
) -> Response:
    row, content = evidence.download(_uow(request), bootstrap.evidence_files(), number, sha256, principal=principal)
    # Never shown inline by a browser: a download, with the type sniffed at upload and no sniffing now.
    headers = download_headers(row["filename"], default="evidence")
    return Response(content, media_type=row["media_type"], headers=headers)
