"""An exported run's bank files written again, byte for byte as first written, from the database
alone (`payroll export --again`): a lost folder regenerated.

The first export recorded on the run what made its files what they are: the message ids (the
batching), the creation time, the execution date and the payer, and each file's SHA-256
(`export.record`). The files are written again from the lines sent in those messages, whatever has
become of them since (paid, rejected, returned), with the recorded values, never today's settings;
each must match its recorded digest, or nothing is written. No line changes; the regeneration is
audited as a read of the run's files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

from himaya.core.audit import Change, canonical_actor
from himaya.core.errors import InvalidInputError, NotFoundError
from himaya.core.periods import Period
from himaya.payroll.bank import Payer, PaymentFileWriter
from himaya.payroll.export import Files, Written, write_files_of
from himaya.payroll.model import PayrollError, RunState
from himaya.payroll.ports import PayrollUnitOfWork

EXPORTED = (RunState.EXPORTED, RunState.RECONCILED, RunState.CLOSED)


def check_output(folder: Path) -> None:
    """The files are written again only into a new folder or an empty one: never beside others."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"{folder} is a file, not a folder: nothing was written; name a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise InvalidInputError(f"{folder} is not empty: nothing was written; name a new or empty folder")


def export_again(
    uow: PayrollUnitOfWork, period: Period, folder: Path, *, actor: str, writer: PaymentFileWriter
) -> list[Path]:
    """Write the files of the exported run of `period` again into `folder` (new or empty), the
    same bytes as the first export's (refused, naming the file, if one would differ); the files'
    final paths, in the order first written."""
    who = canonical_actor(actor)
    check_output(folder)
    with uow:
        store = uow.payroll
        run = store.run(period)
        if run is None:
            raise NotFoundError(f"there is no run for {period}")
        if run.state not in EXPORTED:
            raise PayrollError(
                f"the run of {period} is {run.state}: its files cannot be written again, it was never exported "
                f"(`himaya payroll export --period {period}` writes them once it is approved); nothing was written"
            )
        if run.export is None:
            raise PayrollError(
                f"the run of {period} was exported before exports were recorded (migration 0025): its payer and "
                "execution date are not known, so its files cannot be written again exactly; nothing was written"
            )
        recorded = json.loads(run.export)
        digests: dict[str, str] = recorded["files"]
        prefix = f"HIMAYA-{period.year}{period.month:02d}-"
        folder.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{prefix}", suffix=".again", dir=folder.parent))
        try:
            how = Files(
                staged,
                folder,
                prefix,
                Payer(**recorded["payer"]),
                date.fromisoformat(recorded["execution"]),
                writer,
                int(recorded["batch_size"]),
                datetime.fromisoformat(recorded["created"]),
            )
            written = Written()
            write_files_of(store.sent_batches([Path(name).stem for name in digests]), how, written)
            _check(period, digests, written)
            names = [path.name for path in written.files]
            what = {"again": True, "folder": str(folder), "files": names}
            uow.audit.record([Change("read", f"payroll:{period}:files", None, what)], actor=who)
            _place(staged, folder)
            try:
                uow.commit()
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return written.files


def _check(period: Period, digests: dict[str, str], written: Written) -> None:
    """Every file first written, and only those, each with the bytes first written."""
    for name, digest in digests.items():
        again = written.digests.get(Path(name).stem)
        if again is None:
            raise PayrollError(
                f"{name} of the run of {period} cannot be written again: none of its transfers is in the "
                "database as sent any more; nothing was written"
            )
        if again != digest:
            raise PayrollError(
                f"{name} of the run of {period} would differ from the file first exported (SHA-256 {digest[:12]}… "
                f"recorded, {again[:12]}… now): its lines or payees changed since; nothing was written"
            )


def _place(staged: Path, folder: Path) -> None:
    """Move the complete set into place: the whole folder at once (an empty one replaced)."""
    check_output(folder)  # again: it may have changed while the files were written
    if folder.is_dir():
        os.rmdir(folder)
    os.rename(staged, folder)
