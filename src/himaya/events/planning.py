"""What a batch of events means for the registry, decided for the whole batch at once (pure).

Given the batch (one row per event, its facts in the people table's words) and the current
registry rows of everyone it names and of their families, `plan` gives each event its outcome
(applied, held, needs review, failed, duplicate, with the reason) and the registry rows to write,
each dated by its event: a birth is a new child in the mother's family (and the mother has
children), a death a death date (the spouse widowed, the children of the family without that
parent), a marriage or divorce a marital status, a card expired a card no longer held, a
correction the corrected values; a cancellation undoes its registration (`reversal.py`).
Matching is by civil number only: an event whose people are not found is held (out of order) or
sent to review, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from himaya.events.adoption import adoptions, fetal_deaths
from himaya.events.model import EventKind, InboxState
from himaya.events.reversal import EFFECTS, cancellations
from himaya.events.rules import CORRECTABLE
from himaya.events.twins import same_birth

K, S = EventKind, InboxState
OUTCOME = pl.Schema({
    "id": pl.Int64(), "state": pl.String(), "reason": pl.String(), "subject": pl.String(), "family_id": pl.String()
})  # fmt: skip


@dataclass(frozen=True)
class Plan:
    outcomes: pl.DataFrame  # id, state, reason, subject (civil number), family_id
    records: pl.DataFrame  # registry rows to write (the people frame's columns), with event_id and as_of
    deferred: tuple[int, ...]  # events that touch someone an earlier event of the batch touches: next batch


def _outcome(frame: pl.DataFrame, state: pl.Expr, reason: pl.Expr, family: pl.Expr) -> pl.DataFrame:
    return frame.select(
        pl.col("id"), state.alias("state"), reason.alias("reason"), pl.col("person_id").alias("subject"),
        family.alias("family_id"),
    ).cast(OUTCOME)  # fmt: skip


def _decide(*rules: tuple[pl.Expr, InboxState, pl.Expr | str]) -> tuple[pl.Expr, pl.Expr]:
    """(state, reason) from the first rule that holds; applied otherwise."""
    state: pl.Expr = pl.lit(S.APPLIED.value)
    reason: pl.Expr = pl.lit(None, pl.String)
    for condition, then, why in reversed(rules):
        text = pl.lit(why) if isinstance(why, str) else why
        state = pl.when(condition).then(pl.lit(then.value)).otherwise(state)
        reason = pl.when(condition).then(text).otherwise(reason)
    return state, reason


# A birth to a mother younger than this (or born after the child) is not applied but reviewed.
YOUNGEST_MOTHER = 12


def _row(people: pl.DataFrame, prefix: str, key: str) -> pl.DataFrame:
    """The people frame with its columns prefixed, keyed on `key` (to join an event's person)."""
    return people.select(pl.col("person_id").alias(key), *(pl.col(c).alias(f"{prefix}{c}") for c in people.columns))


def _records(people: pl.DataFrame, touched: pl.DataFrame, changes: dict[str, pl.Expr]) -> pl.DataFrame:
    """The current rows of the people `touched` names (person_id, event_id, as_of, ...), with `changes`."""
    joined = people.join(touched, on="person_id")
    return joined.with_columns(**changes).select(*people.columns, "event_id", "as_of")


def _births(
    events: pl.DataFrame, people: pl.DataFrame, unread: Sequence[str] = ()
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    b = (
        events.filter(pl.col("kind") == K.BIRTH)
        .with_columns(pl.col("person_id").is_in(list(unread)).alias("_unread"))
        .join(_row(people, "m_", "mother_id"), on="mother_id", how="left")
        .join(_row(people, "f_", "father_id"), on="father_id", how="left")
        .join(_row(people, "c_", "person_id"), on="person_id", how="left")
        .pipe(same_birth, people)
    )
    state, reason = _decide(
        (pl.col("person_id").is_null(), S.NEEDS_REVIEW, "the child has no civil number yet: a registrar registers"
         " the child once the civil registry gives one (the event says who the parents are)"),
        (pl.col("mother_id").is_null(), S.NEEDS_REVIEW, "no mother's civil number: a registrar finds the family"),
        (pl.col("c_person_id").is_not_null() & (pl.col("c_birth_date") == pl.col("event_date"))
         & (pl.col("c_family_id") == pl.col("m_family_id")), S.DUPLICATE, "the child is registered already"),
        # The civil number's record is in no reading: its birth was cancelled (or it was merged). Registering
        # it again is a registrar's decision, not a second source's.
        (pl.col("_unread"), S.NEEDS_REVIEW,
         pl.format("civil number {} is kept on a record in no reading of the registry (a cancelled birth's child,"
                   " or merged into another): a registrar decides", "person_id")),
        (pl.col("c_person_id").is_null() & pl.col("_twin").is_not_null(), S.NEEDS_REVIEW,
         pl.format("mother {} has a child of the same sex and name born on {} registered already (civil number {}):"
                   " the same birth reported twice, or twins? a registrar decides",
                   "mother_id", "event_date", "_twin")),
        (pl.col("c_person_id").is_not_null(), S.NEEDS_REVIEW,
         pl.format("civil number {} is registered already (born {}, family {})", "person_id", "c_birth_date",
                   "c_family_id")),
        (pl.col("m_person_id").is_null(), S.HELD,
         pl.format("mother {} is not in the registry yet: held until she is", "mother_id")),
        (pl.col("m_death_date").is_not_null() & (pl.col("m_death_date") < pl.col("event_date")), S.NEEDS_REVIEW,
         pl.format("mother {} died on {}, before this birth", "mother_id", "m_death_date")),
        # The registry and the civil registry disagree on who the mother is: a registrar looks, never a guess.
        (pl.col("m_sex") != "F", S.NEEDS_REVIEW,
         pl.format("mother {} is recorded as {}, not as a woman", "mother_id", "m_sex")),
        (pl.col("event_date") < pl.col("m_birth_date").dt.offset_by(f"{YOUNGEST_MOTHER}y"), S.NEEDS_REVIEW,
         pl.format("mother {} was born on {}: not a mother on {}", "mother_id", "m_birth_date", "event_date")),
    )  # fmt: skip
    b = b.with_columns(state.alias("state"), reason.alias("reason"))
    done = b.filter(pl.col("state") == S.APPLIED)
    mothers = done.select(pl.col("mother_id").alias("person_id"), pl.col("id").alias("event_id"),
                          pl.col("event_date").alias("as_of"))  # fmt: skip
    mother = _records(people, mothers, {"has_children": pl.lit(True)})
    return _outcome(b, pl.col("state"), pl.col("reason"), pl.col("m_family_id")), [_newborns(done, people), mother]


def _newborns(done: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The registry rows of the children the applied births register, in the mother's family and place."""
    schema = people.schema
    child = done.select(
        pl.col("person_id"),
        pl.col("m_family_id").alias("family_id"),
        pl.when(pl.col("m_relationship").is_in(["head", "spouse"]))
        .then(pl.lit("child"))
        .otherwise(pl.lit("other"))
        .alias("relationship"),
        pl.col("sex"),
        pl.col("event_date").alias("birth_date"),
        pl.coalesce("nationality", "f_nationality", "m_nationality").alias("nationality"),
        pl.col("m_resident").alias("resident"),
        pl.lit("single").alias("marital_status"),
        (pl.col("f_death_date").is_not_null() & (pl.col("f_death_date") <= pl.col("event_date"))).alias(
            "father_deceased"
        ),
        *(pl.col(c) for c in people.columns if c.endswith(("_ar", "_en")) and c in done.columns),
        pl.col("m_governorate").alias("governorate"),
        pl.col("m_wilayat").alias("wilayat"),
        pl.col("id").alias("event_id"),
        pl.col("event_date").alias("as_of"),
    )
    defaults = {c: pl.lit(0 if schema[c].is_integer() else None, schema[c]) for c in schema if c not in child.columns}
    child = child.with_columns(**defaults).with_columns(
        *(pl.col(c).fill_null(False) for c in schema if schema[c] == pl.Boolean)
    )
    return child.select(*(pl.col(c).cast(schema[c]) for c in people.columns), "event_id", "as_of")


def _deaths(events: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    d = events.filter(pl.col("kind") == K.DEATH).join(_row(people, "p_", "person_id"), on="person_id", how="left")
    state, reason = _decide(
        (pl.col("p_person_id").is_null(), S.HELD,
         pl.format("person {} is not in the registry yet: a death before the birth it follows is held and retried",
                   "person_id")),
        (pl.col("p_death_date") == pl.col("event_date"), S.DUPLICATE, "the registry holds this death already"),
        (pl.col("p_death_date").is_not_null(), S.NEEDS_REVIEW,
         pl.format("the registry holds a death on {}, the event says {}: a correction decides", "p_death_date",
                   "event_date")),
        (pl.col("event_date") < pl.col("p_birth_date"), S.FAILED,
         pl.format("death on {} before the birth the registry holds ({})", "event_date", "p_birth_date")),
    )  # fmt: skip
    d = d.with_columns(state.alias("state"), reason.alias("reason"))
    done = d.filter(pl.col("state") == S.APPLIED).select(
        pl.col("person_id"), pl.col("id").alias("event_id"), pl.col("event_date").alias("as_of"),
        pl.col("p_family_id").alias("d_family"), pl.col("p_sex").alias("d_sex"),
        pl.col("p_relationship").alias("d_relationship"),
    )  # fmt: skip
    deceased = _records(people, done.select("person_id", "event_id", "as_of"), {"death_date": pl.col("as_of")})
    return _outcome(d, pl.col("state"), pl.col("reason"), pl.col("p_family_id")), [deceased, _survivors(people, done)]


def _survivors(people: pl.DataFrame, deaths: pl.DataFrame) -> pl.DataFrame:
    """What a death of a head or spouse changes for the rest of the family: the partner widowed
    (a head only when no other spouse lives), the children without their father, or without their
    mother when she was the family's only wife."""
    couple = pl.col("relationship").is_in(["head", "spouse"])
    living = pl.col("death_date").is_null()
    partners = (
        people.filter(couple, living)
        .group_by("family_id")
        .agg(pl.len().alias("partners"), (pl.col("sex") == "F").sum().alias("wives"))
    )
    members = (
        deaths.filter(pl.col("d_relationship").is_in(["head", "spouse"]))
        .join(people, left_on="d_family", right_on="family_id", suffix="_m")
        .filter(pl.col("person_id_m") != pl.col("person_id"), pl.col("death_date").is_null())
        .join(partners, left_on="d_family", right_on="family_id", how="left")
    )
    widowed = (
        couple
        & (pl.col("marital_status") == "married")
        & ((pl.col("d_relationship") == "head") | ((pl.col("relationship") == "head") & (pl.col("partners") <= 2)))
    )
    child = pl.col("relationship") == "child"
    orphaned_father = child & (pl.col("d_sex") == "M")
    orphaned_mother = child & (pl.col("d_sex") == "F") & (pl.col("wives") == 1)
    touched = members.filter(widowed | orphaned_father | orphaned_mother).select(
        pl.col("person_id_m").alias("person_id"),
        "event_id",
        "as_of",
        widowed.alias("_widowed"),
        orphaned_father.alias("_father"),
        orphaned_mother.alias("_mother"),
    )
    return _records(
        people,
        touched,
        {
            "marital_status": pl.when("_widowed").then(pl.lit("widowed")).otherwise(pl.col("marital_status")),
            "father_deceased": pl.col("father_deceased") | pl.col("_father"),
            "mother_deceased": pl.col("mother_deceased") | pl.col("_mother"),
        },
    )


def _subjects(events: pl.DataFrame, people: pl.DataFrame, kinds: list[str]) -> pl.DataFrame:
    return events.filter(pl.col("kind").is_in(kinds)).join(_row(people, "p_", "person_id"), on="person_id", how="left")


def _unknown() -> tuple[pl.Expr, InboxState, pl.Expr]:
    return (pl.col("p_person_id").is_null(), S.HELD,
            pl.format("person {} is not in the registry yet: held and retried", "person_id"))  # fmt: skip


def _touch(frame: pl.DataFrame, key: str = "person_id") -> pl.DataFrame:
    applied = frame.filter(pl.col("state") == S.APPLIED, pl.col(key).is_not_null())
    return applied.select(pl.col(key).alias("person_id"), pl.col("id").alias("event_id"),
                          pl.col("event_date").alias("as_of"))  # fmt: skip


def _marital(events: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    m = _subjects(events, people, [K.MARRIAGE, K.DIVORCE]).join(
        people.select(pl.col("person_id").alias("spouse_id"), pl.col("person_id").alias("s_found")),
        on="spouse_id",
        how="left",
    )
    state, reason = _decide(
        _unknown(),
        (pl.col("p_death_date").is_not_null(), S.NEEDS_REVIEW, pl.format("person {} died on {}", "person_id",
                                                                         "p_death_date")),
    )  # fmt: skip
    note = pl.when(pl.col("spouse_id").is_not_null() & pl.col("s_found").is_null()).then(
        pl.format("spouse {} is not in the registry: only {} changed", "spouse_id", "person_id")
    )
    m = m.with_columns(state.alias("state"), pl.coalesce(reason, note).alias("reason"))
    status = pl.when(pl.col("kind") == K.MARRIAGE).then(pl.lit("married")).otherwise(pl.lit("divorced"))
    touched = pl.concat([_touch(m), _touch(m.filter(pl.col("s_found").is_not_null()), "spouse_id")])
    touched = touched.join(m.select(pl.col("id").alias("event_id"), status.alias("_status")), on="event_id")
    records = _records(people, touched, {"marital_status": pl.col("_status")})
    return _outcome(m, pl.col("state"), pl.col("reason"), pl.col("p_family_id")), [records]


def _person_events(events: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The calendar's events (nothing to write: the family's enrollments are planned again) and an
    expired disability card (the card no longer held, from that day)."""
    p = _subjects(events, people, [K.TURNED_60, K.TURNED_18, K.SURVIVOR_AGE_LIMIT, K.DISABILITY_CARD_EXPIRED])
    state, reason = _decide(_unknown())
    p = p.with_columns(state.alias("state"), reason.alias("reason"))
    card = _records(people, _touch(p.filter(pl.col("kind") == K.DISABILITY_CARD_EXPIRED)),
                    {"disability_card": pl.lit(False)})  # fmt: skip
    return _outcome(p, pl.col("state"), pl.col("reason"), pl.col("p_family_id")), [card]


def _corrections(events: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """A correction sets the values it gives (a cancellation is undone in `reversal.py`)."""
    c = _subjects(events, people, [K.CORRECTION])
    state, reason = _decide(
        _unknown(),
        (pl.col("original_kind").is_null(), S.HELD,
         pl.format("the registration {} it corrects is not in the inbox yet: held", "corrects")),
        # A later month of birth: benefits started from the old one were paid for months before the
        # child was born; the enrollments are not moved by a correction, so a registrar settles it.
        (pl.col("birth_date").str.to_date(strict=False).dt.truncate("1mo") > pl.col("p_birth_date").dt.truncate("1mo"),
         S.NEEDS_REVIEW,
         pl.format("it moves the birth of {} from {} to {}, a later month: benefits started from the month of the"
                   " first date may have been paid; a registrar corrects the record and the payments", "person_id",
                   "p_birth_date", "birth_date")),
    )  # fmt: skip
    c = c.with_columns(state.alias("state"), reason.alias("reason"))
    touched = _touch(c).join(
        c.select(
            pl.col("id").alias("event_id"), "kind", *(pl.col(k).alias(f"_{k}") for k in CORRECTABLE if k in c.columns)
        ),
        on="event_id",
    )
    schema = people.schema
    changes = {
        k: pl.coalesce(pl.col(f"_{k}").cast(schema[k]) if schema[k] != pl.Date else pl.col(f"_{k}").str.to_date(),
                       pl.col(k))
        for k in CORRECTABLE
        if k in schema
    }  # fmt: skip
    return _outcome(c, pl.col("state"), pl.col("reason"), pl.col("p_family_id")), [_records(people, touched, changes)]


def _back_dated(outcomes: pl.DataFrame, records: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
    """Events that would write a person before a change the registry already holds for them:
    history is not rewritten by itself; a registrar applies such an event."""
    late = (
        records.join(latest, on="person_id")
        .filter(pl.col("latest") > pl.col("as_of"))
        .group_by("event_id")
        .agg(pl.col("person_id").first(), pl.col("latest").max(), pl.col("as_of").first())
    )
    why = pl.format(
        "the registry holds changes for {} effective {}, after the event's date {}: history before a recorded"
        " change is not rewritten automatically; a registrar applies it",
        "person_id",
        "latest",
        "as_of",
    )
    late = late.select(pl.col("event_id").alias("id"), why.alias("_late"))
    return (
        outcomes.join(late, on="id", how="left")
        .with_columns(
            pl.when(pl.col("_late").is_not_null()).then(pl.lit(S.NEEDS_REVIEW.value)).otherwise("state").alias("state"),
            pl.coalesce("_late", "reason").alias("reason"),
        )
        .drop("_late")
    )


def plan(
    events: pl.DataFrame,
    people: pl.DataFrame,
    latest: Callable[[list[str]], pl.DataFrame],
    effects: pl.DataFrame | None = None,
    *,
    unread: Sequence[str] = (),
) -> Plan:
    """The batch's outcomes and registry rows. `events`: id, kind, event_date, original_kind (id,
    date, state) and the facts (strings); `people`: the registry's current rows of everyone named and
    their families; `latest(civil numbers)`: person_id, latest (the last date a change of theirs is
    effective), asked for the people the batch would write only; `effects`: the audit entries of the
    registrations the batch's cancellations cancel (`reversal.py`); `unread`: the births' civil
    numbers that a record keeps in no reading of the registry."""
    events = events.sort("event_date", "id")
    parts = [_births(events, people, unread)]
    parts += [f(events, people) for f in (_deaths, _marital, _person_events, _corrections)]
    parts.append(cancellations(events, people, EFFECTS.clear() if effects is None else effects))
    parts += [adoptions(events, people), fetal_deaths(events, people)]
    outcomes = pl.concat([o for o, _ in parts])
    records = pl.concat([r for _, rs in parts for r in rs], how="vertical_relaxed")
    outcomes = _back_dated(outcomes, records, latest(records["person_id"].unique().to_list()))
    applied = outcomes.filter(pl.col("state") == S.APPLIED)["id"]
    records = records.filter(pl.col("event_id").is_in(applied.implode()))
    # One event per person a batch: an event that touches someone an earlier one touches waits for
    # the next batch, which reads the registry as the earlier one left it.
    order = events.select(pl.col("id").alias("event_id"), pl.int_range(pl.len()).alias("_order"))
    ranked = records.select("person_id", "event_id").unique().join(order, on="event_id")
    first = ranked.group_by("person_id").agg(pl.col("_order").min())
    late = ranked.join(first, on="person_id", suffix="_first").filter(pl.col("_order") > pl.col("_order_first"))
    # An event held for want of someone an earlier event of the batch registers (a death after the
    # birth in the same batch) waits for the next batch rather than a run.
    written = records["person_id"].unique().implode()
    waiting = outcomes.filter(pl.col("state") == S.HELD).join(events.select("id", "person_id", "mother_id"), on="id")
    unblocked = waiting.filter(pl.col("person_id").is_in(written) | pl.col("mother_id").is_in(written))["id"]
    # Two deaths in one family a batch: the second would be planned from the family as it was before
    # the first (the only wife left, the children orphaned), so it waits for the next batch.
    deaths = outcomes.filter(pl.col("state") == S.APPLIED, pl.col("family_id").is_not_null()).join(
        events.filter(pl.col("kind") == K.DEATH).select("id"), on="id"
    )
    deaths = deaths.join(order.rename({"event_id": "id"}), on="id")
    second = deaths.filter(pl.col("_order") > pl.col("_order").min().over("family_id"))["id"]
    deferred = sorted({*late["event_id"].to_list(), *unblocked.to_list(), *second.to_list()})
    records = records.filter(~pl.col("event_id").is_in(deferred))
    outcomes = outcomes.filter(~pl.col("id").is_in(deferred))
    return Plan(outcomes.sort("id"), records.sort("as_of", "event_id"), tuple(deferred))


def event_frame(rows: list[dict[str, object]], facts: tuple[str, ...]) -> pl.DataFrame:
    """The batch as `plan` reads it, from the inbox's rows (id, kind, event_date, original_kind, and the facts)."""
    schema: dict[str, pl.DataType] = {"id": pl.Int64(), "kind": pl.String(), "event_date": pl.Date(),
                                      "original_kind": pl.String(), "original_id": pl.Int64(),
                                      "original_date": pl.Date(), "original_state": pl.String()}  # fmt: skip
    schema |= {f: pl.String() for f in facts}
    return pl.from_dicts(rows, schema=schema)  # the schema's keys of each row, the others left out


def changing(records: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The records that change something: a new person's, or one whose values differ from the
    person's current row (a mother who had children already, a spouse widowed before: nothing to
    stage, compare or write). Their outcomes are the plan's, whatever is left to write.

    >>> now = pl.DataFrame({"person_id": ["1", "2"], "has_children": [True, False]})
    >>> rows = now.with_columns(pl.lit(True).alias("has_children"), pl.lit(7).alias("event_id"))
    >>> changing(pl.concat([rows, pl.DataFrame({"person_id": ["3"], "has_children": [None], "event_id": [8]})],
    ...                    how="vertical_relaxed"), now)["person_id"].to_list()
    ['2', '3']
    """
    compared = [c for c in people.columns if c != "person_id" and c in records.columns]
    current = people.select("person_id", pl.lit(True).alias("__known"), *(pl.col(c).alias(f"{c}__now")
                                                                          for c in compared))  # fmt: skip
    joined = records.join(current, on="person_id", how="left")
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__now")) for c in compared]) if compared else True
    return joined.filter(pl.col("__known").is_null() | differs).select(records.columns)
