"""Signed checkpoints of the audit chain, kept where the database's writers cannot rewrite them.

The chain alone cannot show that its newest entries were deleted and its head row moved back, or
that everything was deleted and the head reset: what remains is consistent. A checkpoint names
the chain's last entry and its hash at one moment, signed with the audit key, and is appended to a
file (one JSON object a line) that should live outside the database's reach: another machine, an
append-only file (`chattr +a`), a write-once bucket. `check` then finds any checkpointed entry
that is gone or changed. Entries written after the last checkpoint are not covered: checkpoint
often (a timer every few minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from himaya.core.errors import ConflictError, InvalidInputError, NotFoundError
from himaya.db import audit
from himaya.db.tables import audit_entry, audit_head


@dataclass(frozen=True)
class Checkpoint:
    """The chain's last entry (`entry` 0 and the genesis hash for an empty chain) at `at`."""

    at: str
    entry: int
    hash: str
    key: str  # which key signed it (audit.key_id)
    mac: str

    def signed(self) -> bytes:
        return json.dumps([self.at, self.entry, self.hash, self.key], separators=(",", ":")).encode()


def _mac(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, b"checkpoint:" + checkpoint.signed(), hashlib.sha256).hexdigest()


def read(path: Path) -> list[Checkpoint]:
    """The checkpoints of a file, in order (none if it does not exist yet)."""
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            found.append(
                Checkpoint(
                    str(fields["at"]), int(fields["entry"]), str(fields["hash"]), str(fields["key"]), str(fields["mac"])
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInputError(f"{path.name}, line {number}: not a checkpoint ({error})") from None
    return found


def load(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints of the file a verify was told to check, and what is wrong with the file:
    a missing file is reported (deleting it must not pass for "not anchored")."""
    if not path.exists():
        return [], [f"the checkpoint file {path.name} is missing: deleted, or no `himaya audit checkpoint` made yet"]
    try:
        return read(path), []
    except InvalidInputError as error:
        return [], [str(error)]


def make(connection: Connection, path: Path, *, start: bool = False) -> Checkpoint:
    """Verify the chain and append a signed checkpoint of its head to `path`. A chain that does not
    verify, or no longer holds the file's last checkpoint, is not checkpointed (ConflictError).
    The file must exist unless `start` (and then must not): a deleted file is not silently begun
    again on the chain as it is now."""
    if path.exists() == start:
        problem = "exists already: leave out --new" if start else "is missing: give --new to start a new file"
        raise (ConflictError if start else NotFoundError)(f"the checkpoint file {path.name} {problem}")
    verification = audit.verify(connection)
    earlier = read(path)
    problems = [str(p) for p in verification.problems] + check(connection, earlier)
    if problems:
        raise ConflictError("the audit chain is not checkpointed: " + "; ".join(problems))
    key = audit.current_key(connection)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    unsigned = Checkpoint(at, verification.last_id, verification.head, audit.key_id(key), "")
    checkpoint = Checkpoint(**{**asdict(unsigned), "mac": _mac(key, unsigned)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(asdict(checkpoint), separators=(",", ":")) + "\n")
    return checkpoint


def check(connection: Connection, checkpoints: Sequence[Checkpoint]) -> list[str]:
    """What the chain fails of `checkpoints`: a signature that does not match (forged or edited),
    checkpoints out of order, and the last one's entry gone or changed. The last one suffices for
    the chain: an intact chain that still holds it holds every entry before it, unchanged (each
    checkpoint was written only on a chain that held the one before)."""
    keys = {audit.key_id(k): k for k in audit.known_keys(connection)}
    problems = []
    for number, point in enumerate(checkpoints, start=1):
        key = keys.get(point.key)
        if key is None or not hmac.compare_digest(point.mac, _mac(key, point)):
            problems.append(
                f"checkpoint {number} (entry {point.entry}): its signature does not match: forged or edited"
            )
        if number > 1 and point.entry < checkpoints[number - 2].entry:
            problems.append(f"checkpoint {number} (entry {point.entry}): names an entry before the checkpoint above it")
    if not checkpoints:
        return problems
    last = checkpoints[-1]
    if last.entry == 0:
        held = connection.execute(select(audit_head.c.hash).where(audit_head.c.id == 1)).scalar() is not None
    else:
        found = connection.execute(select(audit_entry.c.hash).where(audit_entry.c.id == last.entry)).scalar()
        held = found == last.hash
    if not held:
        problems.append(
            f"checkpoint of {last.at}: the chain no longer holds entry {last.entry} as it was then:"
            " entries were removed or rewritten"
        )
    return problems
