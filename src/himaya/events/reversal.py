"""A cancelled registration undone: what the first event did, read back from its audit entries, is
reversed (pure; the worker writes it in its transaction).

The first event's registry changes (`person.update`: the fields it changed, before and after) are
restored to their values before it, dated the first event's own date, so that the registry's
history says the cancelled fact never held (the rows it wrote are kept, valid on no day). A
cancelled birth withdraws the child it registered (`person.create`); a cancelled death reopens the
insurance awards it ended (`insurance.award.end`) and restores the survivor pensions' shares it split
again (`insurance.award.review`). The enrollments the first event's re-plan started
or ended are undone by the store (`EventStore.undo_enrollments`) for the people it touched. A field
changed again since the first event goes to a registrar: it is not overwritten by itself.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from himaya.events.adoption import OUTCOME
from himaya.events.model import EventKind, InboxState
from himaya.events.rules import CORRECTABLE

K, S = EventKind, InboxState
PENDING_STATES = ("received", "held")
EFFECTS = pl.DataFrame(schema={"event": pl.Int64(), "action": pl.String(), "subject": pl.String(),
                               "before": pl.String(), "after": pl.String()})  # fmt: skip
UNDONE = (  # the entries a cancellation reads back
    "person.create",
    "person.update",
    "insurance.award.end",
    "insurance.award.review",
)
# What an event changes and its cancellation restores (what the contract derives, a governorate from
# the wilayat, follows by itself).
RESTORED = ("death_date", "marital_status", "father_deceased", "mother_deceased", "has_children", "disability_card",
            *CORRECTABLE)  # fmt: skip


def _plain(value: Any) -> Any:
    """A value as the audit trail writes it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def restorations(cancels: pl.DataFrame, people: pl.DataFrame, effects: pl.DataFrame) -> pl.DataFrame:
    """Per cancellation and person the first event changed: id, person_id, the fields to restore
    (JSON of field -> value before), and `moved`: a field changed again since (its name), or null."""
    current = {r["person_id"]: r for r in people.iter_rows(named=True)}
    first = dict(zip(cancels["original_id"].to_list(), cancels["id"].to_list(), strict=True))
    merged: dict[tuple[int, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    for event, action, subject, before, after in effects.iter_rows():  # oldest first: the registration, its corrections
        if action != "person.update" or event not in first:
            continue
        was, now = merged.setdefault((event, subject.split(":", 1)[-1]), ({}, {}))
        now |= json.loads(after or "{}")
        for field, value in json.loads(before or "{}").items():
            was.setdefault(field, value)
    rows = []
    for (event, civil), (was, now) in merged.items():
        fields = [f for f in now if f in RESTORED and f in people.columns]
        row = current.get(civil)
        moved = None if row is not None else "person"
        if row is not None:
            moved = next((f for f in fields if _plain(row[f]) not in (now[f], was.get(f))), None)
        undone = row is not None and all(_plain(row[f]) == was.get(f) for f in fields)
        rows.append((first[event], civil, json.dumps({f: was.get(f) for f in fields}), moved, undone))
    schema = {"id": pl.Int64, "person_id": pl.String, "restore": pl.String, "moved": pl.String, "undone": pl.Boolean}
    return pl.DataFrame(rows, schema=schema, orient="row")


def cancellations(
    events: pl.DataFrame, people: pl.DataFrame, effects: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The batch's cancellations: (outcomes: id, state, reason, subject, family_id) and the registry
    rows that restore what their first events changed (each dated the first event's date)."""
    c = events.filter(pl.col("kind") == K.CANCELLATION.value).join(
        people.select(pl.col("person_id"), pl.col("family_id").alias("p_family_id")), on="person_id", how="left"
    )
    restore = restorations(c, people, effects)
    created = effects.filter(pl.col("action") == "person.create").select(
        pl.col("event").alias("original_id"), pl.col("subject").str.split(":").list.last().alias("_child")
    )
    per = restore.group_by("id").agg(pl.col("moved").drop_nulls().first().alias("_moved"),
                                     pl.col("person_id").filter(pl.col("moved").is_not_null()).first().alias("_who"),
                                     pl.col("undone").all().alias("_undone"), pl.len().alias("_n"))  # fmt: skip
    c = c.join(per, on="id", how="left").join(created, on="original_id", how="left")
    state, reason = _decide(c)
    c = c.with_columns(state.alias("state"), reason.alias("reason"))
    applied = c.filter(pl.col("state") == S.APPLIED).select("id", pl.col("original_date").alias("as_of"))
    records = _restored(people, restore.join(applied, on="id"))
    outcomes = c.select("id", "state", "reason", pl.col("person_id").alias("subject"),
                        pl.col("p_family_id").alias("family_id")).cast(OUTCOME)  # fmt: skip
    return outcomes, [records]


def _decide(c: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    birth = pl.col("original_kind") == K.BIRTH.value
    rules: list[tuple[pl.Expr, InboxState, pl.Expr | str]] = [
        (pl.col("original_kind").is_null(), S.HELD,
         pl.format("the registration {} it cancels is not in the inbox yet: held", "corrects")),
        (pl.col("original_state").is_in(PENDING_STATES), S.HELD,
         pl.format("the registration {} it cancels is not applied yet (event {}): held", "corrects", "original_id")),
        (pl.col("original_state") != S.APPLIED.value, S.DUPLICATE,
         pl.format("the registration {} was never applied (event {}, {}): nothing to undo", "corrects",
                   "original_id", "original_state")),
        # Undoing a cancellation would bring back a fact the source withdrew, on no record of its own:
        # the source registers the fact again, or a registrar decides.
        (pl.col("original_kind") == K.CANCELLATION.value, S.NEEDS_REVIEW,
         pl.format("it cancels a cancellation (event {}): a withdrawn registration is not brought back this way;"
                   " the civil registry registers the fact again, or a registrar decides", "original_id")),
        (birth & pl.col("_child").is_not_null() & (pl.col("_child") != pl.col("person_id")), S.NEEDS_REVIEW,
         pl.format("the birth it cancels registered {}, not {}: a registrar decides", "_child", "person_id")),
        (birth & pl.col("p_family_id").is_null(), S.DUPLICATE,
         pl.format("child {} is not in the registry (withdrawn already)", "person_id")),
        (~birth & pl.col("p_family_id").is_null(), S.HELD,
         pl.format("person {} is not in the registry yet: held and retried", "person_id")),
        (pl.col("_moved").is_not_null(), S.NEEDS_REVIEW,
         pl.format("{} of {} changed again since the {} it cancels (event {}): a registrar undoes it", "_moved",
                   "_who", "original_kind", "original_id")),
        (~birth & (pl.col("_n").is_null() | pl.col("_undone")), S.DUPLICATE,
         pl.format("what the {} (event {}) changed is undone already", "original_kind", "original_id")),
    ]  # fmt: skip
    state: pl.Expr = pl.lit(S.APPLIED.value)
    reason: pl.Expr = pl.lit(None, pl.String)
    for condition, then, why in reversed(rules):
        text = pl.lit(why) if isinstance(why, str) else why
        state = pl.when(condition).then(pl.lit(then.value)).otherwise(state)
        reason = pl.when(condition).then(text).otherwise(reason)
    return state, reason


def _restored(people: pl.DataFrame, restore: pl.DataFrame) -> pl.DataFrame:
    """The current rows of the people to restore, their fields set back, dated `as_of`."""
    if restore.is_empty():
        return people.clear().with_columns(
            pl.lit(None, pl.Int64).alias("event_id"), pl.lit(None, pl.Date).alias("as_of")
        )
    rows = []
    current = {r["person_id"]: r for r in people.iter_rows(named=True)}
    for event, civil, fields, as_of in restore.select("id", "person_id", "restore", "as_of").iter_rows():
        row = dict(current[civil])
        for field, value in json.loads(fields).items():
            dtype = people.schema[field]
            row[field] = date.fromisoformat(value) if value is not None and dtype == pl.Date else value
        rows.append({**row, "event_id": event, "as_of": as_of})
    schema = {**people.schema, "event_id": pl.Int64(), "as_of": pl.Date()}
    return pl.DataFrame(rows, schema=schema, orient="row")


def consequences(events: pl.DataFrame, people: pl.DataFrame, effects: pl.DataFrame, applied: list[int]) -> dict[
        str, pl.DataFrame]:  # fmt: skip
    """What the store undoes beside the registry's rows, for the cancellations applied: `withdrawn`
    (person_id, birth_date: children of cancelled births), `undone` (event, kind, cancellation,
    person_id: the enrollments to undo, of everyone the first event touched), `awards` (award,
    before: insurance awards a cancelled death ended), `splits` (award, after, cancellation: the
    survivor pensions a cancelled death shared again)."""
    c = events.filter(pl.col("kind") == K.CANCELLATION.value, pl.col("id").is_in(applied)).select(
        "id", "original_id", "original_kind"
    )
    touched = effects.join(c, left_on="event", right_on="original_id")
    people_of = touched.filter(pl.col("subject").str.starts_with("person:"))
    created = people_of.filter(pl.col("action") == "person.create").select(
        pl.col("subject").str.split(":").list.last().alias("person_id")
    )
    withdrawn = created.join(people.select("person_id", "birth_date"), on="person_id")
    undone = people_of.select(
        "event", pl.col("original_kind").alias("kind"), pl.col("id").alias("cancellation"),
        pl.col("subject").str.split(":").list.last().alias("person_id"),
    ).unique(maintain_order=True)  # fmt: skip
    awards = touched.filter(pl.col("action") == "insurance.award.end").select(
        pl.col("subject").str.split(":").list.last().cast(pl.Int64).alias("award"), "before",
        pl.col("id").alias("cancellation"),
    )  # fmt: skip
    splits = touched.filter(pl.col("action") == "insurance.award.review").select(
        pl.col("subject").str.split(":").list.last().cast(pl.Int64).alias("award"), "after",
        pl.col("id").alias("cancellation"),
    )  # fmt: skip
    return {"withdrawn": withdrawn, "undone": undone, "awards": awards, "splits": splits}
