"""`/payroll`: the monthly cycle over HTTP, with the same maker-checker rules as the terminal."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile

from himaya import bootstrap
from himaya.api.errors import ApiError
from himaya.api.routes.payroll_models import (
    DiffOut,
    ExportOut,
    HeldOut,
    ReconcileOut,
    ReportOut,
    RunOut,
    StatusOut,
    amounts_in,
    in_currency,
    run_out,
)
from himaya.api.security import require
from himaya.api.uploads import one_file
from himaya.api.views import audit_read, pseudonym
from himaya.core.access import Permission, Principal
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.payroll.lines import ChildPayee
from himaya.payroll.rules import RECOVERY_SHARE_DEFAULT, RECOVERY_SHARE_MAX, RECOVERY_SHARE_MIN

router = APIRouter(prefix="/payroll", tags=["payroll"])
store = bootstrap.payroll_store  # the API reaches the store through the composition root only


Month = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="The month paid, YYYY-MM.")]


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as error:
        raise ApiError(422, "invalid_input", f"path.period: {error}", fields=[{"field": "path.period"}]) from None


@router.get("", summary="Where each run stands")
def status(request: Request, principal: Annotated[Principal, Depends(require(Permission.PAYROLL_READ))]) -> StatusOut:
    currency = request.app.state.pack.currency
    runs = amounts_in(store.status(request.app.state.engine), currency, *_RUN_AMOUNTS)
    return StatusOut.model_validate({"runs": runs.to_dicts(), **in_currency(currency)})


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
    return run_out(summary, request.app.state.pack.currency)


def _transition(request: Request, period: str, action: str, principal: Principal) -> RunOut:
    summary = store.transition(request.app.state.engine, _period(period), action, actor=principal.username)
    return run_out(summary, request.app.state.pack.currency)


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
        payer=bootstrap.payer(request.app.state.pack),
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


@router.post("/reconcile", summary="Apply a bank's pain.002.001.10, camt.054.001.08 or camt.053.001.08 answer")
async def reconcile(
    request: Request,
    file: UploadFile,
    principal: Annotated[Principal, Depends(require(Permission.PAYROLL_RECONCILE))],
) -> ReconcileOut:
    await one_file(request)
    content = await file.read(50_000_001)
    if len(content) > 50_000_000:
        raise ApiError(413, "too_large", "a bank file of more than 50 MB: send it in parts")
    name = FilePath(file.filename or "bank-reply.xml").name
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / name
        path.write_bytes(content)
        pack = request.app.state.pack  # amounts read in its currency
        reply = bootstrap.read_bank_reply(path, pack)
        result = store.reconcile(
            request.app.state.engine,
            reply,
            path,
            actor=principal.username,
            payer_iban=bootstrap.payer(pack).iban,
            currency=pack.currency,
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
    currency = request.app.state.pack.currency
    frame = store.with_totals(store.report(request.app.state.engine, _period(period), principal=principal))
    rows = amounts_in(frame, currency, "amount", "recovered").to_dicts()
    return ReportOut.model_validate({"period": period, "rows": rows[:-1], "totals": rows[-1], **in_currency(currency)})


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
    currency = request.app.state.pack.currency
    changes = store.diff(request.app.state.engine, _period(period), principal=principal, currency=currency)
    counts = {c: n for c, n in changes.group_by("change").len().iter_rows()}
    if unusual_only:
        changes = changes.filter(pl.col("unusual"))
    rows = amounts_in(changes.head(limit), currency, "before", "now").to_dicts()
    with request.app.state.engine.begin() as connection:  # a list of people paid: a read of their data
        audit_read(request, connection, principal, f"payroll:{period}:diff", {"people": [r["person_id"] for r in rows]})
    if not principal.identifies:
        for row in rows:
            row["ref"] = pseudonym(request, str(row.pop("person_id")))
    return DiffOut.model_validate({"period": period, "counts": counts, "rows": rows, **in_currency(currency)})


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
    currency = request.app.state.pack.currency
    lines = store.held(request.app.state.engine, _period(period), principal=principal)
    total = currency.format(int(lines["amount"].sum()))
    rows = amounts_in(lines.head(limit), currency, "amount").to_dicts()
    with request.app.state.engine.begin() as connection:  # a list of people: a read of their data
        audit_read(request, connection, principal, f"payroll:{period}:held", {"people": [r["person_id"] for r in rows]})
    if not principal.identifies:
        for row in rows:
            row.pop("payee_id")
            row["ref"] = pseudonym(request, str(row.pop("person_id")))
    body = {"period": period, "lines": lines.height, "amount": total, "rows": rows, **in_currency(currency)}
    return HeldOut.model_validate(body)
