"""The export: an approved run's pending lines written as payment files, the lines marked exported
and the run moved on, in one unit of work (`actions.export`).

The lines are read once, in one statement sorted by bank and end-to-end id, and cut into batches as
they stream in; the batches are written (and validated) by `WRITERS` threads while the next ones are
read (Polars, file writes and lxml's validation release Python's lock), so at most a few batches are
in memory. The lines are marked exported in one statement that numbers them in the same order (on
SQLite while the files are written, the lines being read by another process), and what it marked is
checked against what the files hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from himaya.core.audit import Change, canonical_actor
from himaya.core.clock import now
from himaya.core.errors import NotFoundError
from himaya.core.faults import checkpoint
from himaya.core.periods import Period
from himaya.payroll import rules
from himaya.payroll.bank import Payer, PaymentFileWriter
from himaya.payroll.model import PayrollError, Run, RunAction, RunMoved, RunState
from himaya.payroll.ports import PayrollStore, PayrollUnitOfWork
from himaya.payroll.runs import move

WRITERS = 2  # payment files written and validated at once


@dataclass(frozen=True)
class Files:
    """What the files are written with and where."""

    staged: Path
    folder: Path
    prefix: str
    payer: Payer
    execution: date
    writer: PaymentFileWriter
    batch_size: int
    created: datetime  # the files' creation time: the approval's


@dataclass
class Written:
    """What was written: the files' final paths, and per message id its transfers, baisa and SHA-256."""

    files: list[Path] = field(default_factory=list)
    sums: dict[str, tuple[int, int]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


def record(how: Files, written: Written) -> str:
    """What the files were written with, and each file's SHA-256 by name, as the run keeps it (JSON):
    what `export_again` writes them again with, whatever today's settings."""
    payer: dict[str, str | int] = {"name": how.payer.name, "iban": how.payer.iban, "bic": how.payer.bic}
    if how.payer.currency != Payer.currency:  # a run in OMR records what runs recorded before 0046
        payer |= {"currency": how.payer.currency, "decimals": how.payer.decimals}
    return json.dumps(
        {
            "batch_size": how.batch_size,
            "execution": how.execution.isoformat(),
            "created": how.created.isoformat(),
            "payer": payer,
            "files": {path.name: written.digests[path.stem] for path in written.files},
        }
    )


def export(
    uow: PayrollUnitOfWork,
    period: Period,
    folder: Path,
    *,
    actor: str,
    payer: Payer,
    execution: date,
    writer: PaymentFileWriter,
    batch_size: int = 50_000,
) -> list[Path]:
    """Write the approved run's pending lines as payment files with `writer` (ISO 20022
    pain.001.001.09 in production), one or more per payee bank (at most `batch_size` transfers
    each), and mark the run exported.

    Message ids and file names follow from the run, the bank and the batch number, so exporting
    again after a crash writes the same files.

    The export owns its folder: the files are written into a temporary folder beside it and moved
    into place only once all are written and checked, just before the commit; a folder holding
    other files of this run (another attempt, another batch size) is refused. An invalid payer
    account, or lines that differ from those sealed at approval, are refused before any file."""
    if not rules.valid_iban(payer.iban):
        raise PayrollError(f"the payer account {payer.iban!r} is not a valid IBAN (check digits); nothing was exported")
    with uow:
        store = uow.payroll
        run = store.run(period)
        if run is None:
            raise NotFoundError(f"there is no run for {period}")
        rules.check_transition(RunAction.EXPORT, run.state, own_step=True)
        if run.seal is not None and rules.seal(store.sealed_lines(run.id)) != run.seal:
            raise PayrollError(
                f"the lines of the run of {period} differ from those approved (seal {run.seal[:12]}…): "
                "nothing was exported; have the run calculated and approved again"
            )
        who = canonical_actor(actor)
        prefix = f"HIMAYA-{period.year}{period.month:02d}-"
        folder.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{prefix}", suffix=".partial", dir=folder.parent))
        try:
            # The files' creation time is the approval's, so that exporting again writes the same bytes.
            how = Files(staged, folder, prefix, payer, execution, writer, batch_size, run.approved_at)
            written = _write_and_mark(store, run, how)
            files = written.files
            checkpoint("payroll.export:before-commit")
            move(store, run, RunState.EXPORTED, {"exported_at": now(), "export": record(how, written)})
            done = {"state": "exported", "files": [f.name for f in files], "sha256": written.digests}
            uow.audit.record([Change("payroll.export", f"run:{period}", {"state": "approved"}, done)], actor=who)
            _publish(staged, folder, prefix)
            uow.emit(RunMoved(period, run.state, RunState.EXPORTED, who))
            uow.commit()
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return files


def _write_and_mark(store: PayrollStore, run: Run, how: Files) -> Written:
    """Write the files into `how.staged`, mark the lines exported and check both agree."""
    written = Written()

    def write_files() -> None:
        batches = (
            (f"{how.prefix}{bank}-{number}", transfers)
            for bank, number, transfers in store.batches(run.id, how.batch_size)
        )
        write_files_of(batches, how, written)

    if store.reads_elsewhere():
        # The lines come from another process or connection (what is committed), so this
        # connection marks them meanwhile; a file that fails stops the export before it commits.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payment-files") as files_thread:
            writing_files = files_thread.submit(write_files)
            try:
                store.mark_exported(run.id, how.prefix, how.batch_size)
            finally:
                writing_files.result()
    else:
        write_files()
        store.mark_exported(run.id, how.prefix, how.batch_size)
    if store.exported(run.id) != written.sums:
        raise PayrollError("the lines marked exported do not match the files written; nothing was changed")
    return written


def write_files_of(batches: Iterable[tuple[str, pl.DataFrame]], how: Files, written: Written) -> None:
    """Write each batch (message id, transfers) as a file, `WRITERS` at once, while the next batches are read."""

    def write(path: Path, message_id: str, transfers: pl.DataFrame, total: int) -> None:
        how.writer(
            path,
            message_id=message_id,
            created=how.created,
            payer=how.payer,
            execution=how.execution,
            count=transfers.height,
            total=total,
            transfers=transfers,
        )
        written.digests[message_id] = hashlib.sha256(path.read_bytes()).hexdigest()

    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="payment-file") as pool:
        writing: deque[Future[None]] = deque()
        for message_id, transfers in batches:
            path = how.staged / f"{message_id}.xml"
            total = int(transfers["amount"].sum())
            while len(writing) >= WRITERS:  # memory stays at a few batches
                writing.popleft().result()
                checkpoint("payroll.export:file")
            writing.append(pool.submit(write, path, message_id, transfers, total))
            written.sums[message_id] = (transfers.height, total)
            written.files.append(how.folder / path.name)
        while writing:
            writing.popleft().result()
            checkpoint("payroll.export:file")


def _publish(staged: Path, folder: Path, prefix: str) -> None:
    """Move the complete set of files from `staged` into `folder`: the whole folder at once if it
    does not exist yet. Files of this run already there must be these very files (an export
    killed after its files were moved, run again); any other is refused, so that no folder ever
    holds two attempts at paying the same people."""
    names = {path.name for path in staged.iterdir()}
    if folder.exists():
        others = sorted(
            path.name
            for path in folder.glob(f"{prefix}*.xml")
            if path.name not in names or path.read_bytes() != (staged / path.name).read_bytes()
        )
        if others:
            raise PayrollError(
                f"{folder} holds files of another export of this run ({', '.join(others[:5])}"
                f"{', …' if len(others) > 5 else ''}): nothing was exported; if they were never sent, "
                "remove them and export again"
            )
        for name in sorted(names):
            os.replace(staged / name, folder / name)
    else:
        os.rename(staged, folder)
