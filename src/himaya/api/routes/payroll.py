"""`/payroll`: the monthly cycle over HTTP, with the same maker-checker rules as the terminal."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile
from pydantic import BaseModel

from himaya import bootstrap
from himaya.api.errors import ApiError
from himaya.api.security import require
from himaya.api.views import audit_read, pseudonym
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.money import format_omr
from himaya.core.periods import Period
from himaya.payroll.lines import ChildPayee
from himaya.payroll.rules import RECOVERY_SHARE_DEFAULT, RECOVERY_SHARE_MAX, RECOVERY_SHARE_MIN
from himaya.policy.engine import omr_text

router = APIRouter(prefix="/payroll", tags=["payroll"])
store = bootstrap.payroll_store  # the API reaches the store through the composition root only


class RunOut(BaseModel):
    """A run's figures; amounts in OMR with 3 decimals."""

    period: str
    state: str
    lines: int
    amount: str  # payable: what goes to the bank
    held: str  # lines held for want of an account
    exceptions: int
    arrears: int
    reissued: int
    recovered: str


class RunStatus(BaseModel):
    period: str
    state: str
    submitted_by: str | None
    approved_by: str | None
    lines: int
    payable: str  # OMR, 3 decimals
    held: str
    paid_amount: str
    pending: int
    exception: int
    exported: int
    paid: int
    rejected: int
    returned: int


class StatusOut(BaseModel):
    runs: list[RunStatus]


class ExportOut(BaseModel):
    period: str
    folder: str
    files: list[str]


class ReconcileOut(BaseModel):
    file: str
    kind: str
    paid: int
    rejected: int
    returned: int
    pending: int
    reconciled_runs: list[str]
    unchanged: int


class ReportRow(BaseModel):
    programme: str
    governorate: str | None
    beneficiaries: int
    amount: str  # OMR, 3 decimals: paid after recoveries
    recovered: str  # OMR, 3 decimals
    exceptions: int


class ReportOut(BaseModel):
    period: str
    rows: list[ReportRow]
    totals: ReportRow  # programme "total": the sums of the rows


class DiffRow(BaseModel):
    person_id: str | None = None  # for a user who may identify people
    ref: str | None = None  # a pseudonym otherwise
    programme: str
    before: str | None  # OMR, 3 decimals
    now: str | None
    change: str
    reason: str | None
    unusual: bool


class DiffOut(BaseModel):
    period: str
    counts: dict[str, int]
    rows: list[DiffRow]


class HeldRow(BaseModel):
    person_id: str | None = None  # for a user who may identify people
    payee_id: str | None = None
    ref: str | None = None  # a pseudonym otherwise
    programme: str
    month: str
    kind: str
    amount: str  # OMR, 3 decimals
    reason: str | None


class HeldOut(BaseModel):
    period: str
    lines: int
    amount: str  # OMR, 3 decimals: the total held
    rows: list[HeldRow]


Month = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="The month paid, YYYY-MM.")]


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as error:
        raise ApiError(422, "invalid_input", f"path.period: {error}", fields=[{"field": "path.period"}]) from None


def _summary(summary: Any) -> RunOut:
    return RunOut(
        period=str(summary.period),
        state=summary.state,
        lines=summary.lines,
        amount=format_omr(summary.amount, grouped=False),
        held=format_omr(summary.held, grouped=False),
        exceptions=summary.exceptions,
        arrears=summary.arrears,
        reissued=summary.reissued,
        recovered=format_omr(summary.recovered, grouped=False),
    )


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: (str(v) if isinstance(v, date) else v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


@router.get("", summary="Where each run stands")
def status(request: Request, principal: Annotated[Principal, Depends(require(Permission.PAYROLL_READ))]) -> StatusOut:
    runs = store.status(request.app.state.engine).with_columns(omr_text(pl.col(c)) for c in _RUN_AMOUNTS)
    return StatusOut.model_validate({"runs": _rows(runs)})


_RUN_AMOUNTS = ("payable", "held", "paid_amount")


@router.post("/{period}/run", summary="Calculate (or recalculate, until submitted) the month's run")
def run(
    request: Request,
    period: Month,
    principal: Annotated[Principal, Depends(require(Permission.PAYROLL_RUN))],
    child_payee: ChildPayee = ChildPayee.CHILD_FIRST,
    recovery_share: Annotated[float, Query(ge=RECOVERY_SHARE_MIN, le=RECOVERY_SHARE_MAX)] = RECOVERY_SHARE_DEFAULT,
) -> RunOut:
    summary = store.calculate(
        request.app.state.engine,
        request.app.state.pack,
        _period(period),
        actor=principal.username,
        child_payee=child_payee,
        recovery_share=recovery_share,
    )
    return _summary(summary)


def _transition(request: Request, period: str, action: str, principal: Principal) -> RunOut:
    return _summary(store.transition(request.app.state.engine, _period(period), action, actor=principal.username))


@router.post("/{period}/submit", summary="Submit the run for approval (maker)")
def submit(
    request: Request, period: Month, principal: Annotated[Principal, Depends(require(Permission.PAYROLL_SUBMIT))]
) -> RunOut:
    return _transition(request, period, "submit", principal)


@router.post("/{period}/approve", summary="Approve a submitted run (checker: never its submitter)")
def approve(
    request: Request, period: Month, principal: Annotated[Principal, Depends(require(Permission.PAYROLL_APPROVE))]
) -> RunOut:
    return _transition(request, period, "approve", principal)


@router.post("/{period}/export", summary="Write the approved run's ISO 20022 pain.001 files on the server")
def export(
    request: Request,
    period: Month,
    principal: Annotated[Principal, Depends(require(Permission.PAYROLL_EXPORT))],
    batch_size: Annotated[int, Query(ge=1, le=1_000_000)] = 50_000,
) -> ExportOut:
    month = _period(period)
    folder = request.app.state.files / str(month)
    files = store.export(
        request.app.state.engine,
        month,
        folder,
        actor=principal.username,
        payer=bootstrap.payer(),
        execution=today(request.app.state.pack.timezone),
        writer=bootstrap.payment_file_writer,
        batch_size=batch_size,
    )
    return ExportOut(period=str(month), folder=str(folder), files=[f.name for f in files])


@router.post("/{period}/export/again", summary="Write an exported run's files again, byte for byte as first written")
def export_again(
    request: Request, period: Month, principal: Annotated[Principal, Depends(require(Permission.PAYROLL_EXPORT))]
) -> ExportOut:
    """Into the run's folder on the server, which must be missing or empty (a lost folder)."""
    month = _period(period)
    folder = request.app.state.files / str(month)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):  # said without the server's path
        raise ApiError(409, "conflict", f"the bank files of {month} are on the server: nothing was written again")
    files = store.export_again(
        request.app.state.engine, month, folder, actor=principal.username, writer=bootstrap.payment_file_writer
    )
    return ExportOut(period=str(month), folder=str(folder), files=[f.name for f in files])


@router.post("/reconcile", summary="Apply a bank's pain.002.001.10 or camt.054.001.08 answer")
async def reconcile(
    request: Request,
    file: UploadFile,
    principal: Annotated[Principal, Depends(require(Permission.PAYROLL_RECONCILE))],
) -> ReconcileOut:
    content = await file.read(50_000_001)
    if len(content) > 50_000_000:
        raise ApiError(413, "too_large", "a bank file of more than 50 MB: send it in parts")
    name = FilePath(file.filename or "bank-reply.xml").name
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / name
        path.write_bytes(content)
        reply = bootstrap.read_bank_reply(path)
        result = store.reconcile(
            request.app.state.engine, reply, path, actor=principal.username, payer_iban=bootstrap.payer().iban
        )
    return ReconcileOut(
        file=name,
        kind=result.kind,
        paid=result.paid,
        rejected=result.rejected,
        returned=result.returned,
        pending=result.pending,
        reconciled_runs=list(result.runs),
        unchanged=result.unchanged,
    )


@router.get("/{period}/report", summary="Beneficiaries and amounts by programme and governorate")
def report(
    request: Request, period: Month, principal: Annotated[Principal, Depends(require(Permission.PAYROLL_READ))]
) -> ReportOut:
    frame = store.with_totals(store.report(request.app.state.engine, _period(period), principal=principal))
    rows = _rows(frame.with_columns(omr_text(pl.col("amount")), omr_text(pl.col("recovered"))))
    return ReportOut.model_validate({"period": period, "rows": rows[:-1], "totals": rows[-1]})


@router.get(
    "/{period}/diff",
    summary="New, stopped and changed payments against the month before, with reasons",
    response_model_exclude_unset=True,  # a row has person_id or ref, never both
)
def diff(
    request: Request,
    period: Month,
    principal: Annotated[Principal, Depends(require(Permission.PAYROLL_READ))],
    unusual_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> DiffOut:
    changes = store.diff(request.app.state.engine, _period(period), principal=principal)
    counts = {c: n for c, n in changes.group_by("change").len().iter_rows()}
    if unusual_only:
        changes = changes.filter(pl.col("unusual"))
    rows = _rows(changes.head(limit).with_columns(omr_text(pl.col("before")), omr_text(pl.col("now"))))
    with request.app.state.engine.begin() as connection:  # a list of people paid: a read of their data
        audit_read(request, connection, principal, f"payroll:{period}:diff", {"people": [r["person_id"] for r in rows]})
    if not principal.identifies:
        for row in rows:
            row["ref"] = pseudonym(request, str(row.pop("person_id")))
    return DiffOut.model_validate({"period": period, "counts": counts, "rows": rows})


@router.get(
    "/{period}/held",
    summary="The lines held for want of a valid bank account, in your branches",
    response_model_exclude_unset=True,  # a row has person_id and payee_id, or ref
)
def held(
    request: Request,
    period: Month,
    principal: Annotated[Principal, Depends(require(Permission.PAYROLL_READ))],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> HeldOut:
    lines = store.held(request.app.state.engine, _period(period), principal=principal)
    total = format_omr(int(lines["amount"].sum()), grouped=False)
    rows = _rows(lines.head(limit).with_columns(omr_text(pl.col("amount"))))
    with request.app.state.engine.begin() as connection:  # a list of people: a read of their data
        audit_read(request, connection, principal, f"payroll:{period}:held", {"people": [r["person_id"] for r in rows]})
    if not principal.identifies:
        for row in rows:
            row.pop("payee_id")
            row["ref"] = pseudonym(request, str(row.pop("person_id")))
    return HeldOut.model_validate({"period": period, "lines": lines.height, "amount": total, "rows": rows})
