"""What an adoption and a fetal death mean for the registry, for a batch at once (pure).

An adoption moves the child (`person_id`) into the family of the adoptive mother (`mother_id`) or,
without her, of the adoptive father (`father_id`), from the adoption's date: `child` of that family
when the parent is its head or spouse, `other` otherwise; the parent has children. A fetal death
registers nobody: it is recorded for the mother (`person_id`), and the registry and the benefits are
left as they are (the maternity allowance is computed for a birth: `himaya insurance maternity`).
"""

from __future__ import annotations

import polars as pl

from himaya.events.model import EventKind, InboxState

K, S = EventKind, InboxState
OUTCOME = pl.Schema({
    "id": pl.Int64(), "state": pl.String(), "reason": pl.String(), "subject": pl.String(), "family_id": pl.String()
})  # fmt: skip


def _decide(*rules: tuple[pl.Expr, InboxState, pl.Expr | str]) -> tuple[pl.Expr, pl.Expr]:
    state: pl.Expr = pl.lit(S.APPLIED.value)
    reason: pl.Expr = pl.lit(None, pl.String)
    for condition, then, why in reversed(rules):
        text = pl.lit(why) if isinstance(why, str) else why
        state = pl.when(condition).then(pl.lit(then.value)).otherwise(state)
        reason = pl.when(condition).then(text).otherwise(reason)
    return state, reason


def _prefixed(people: pl.DataFrame, prefix: str, key: str) -> pl.DataFrame:
    return people.select(pl.col("person_id").alias(key), *(pl.col(c).alias(f"{prefix}{c}") for c in people.columns))


def _rows(people: pl.DataFrame, touched: pl.DataFrame, changes: dict[str, pl.Expr]) -> pl.DataFrame:
    return people.join(touched, on="person_id").with_columns(**changes).select(*people.columns, "event_id", "as_of")


def adoptions(events: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    a = (
        events.filter(pl.col("kind") == K.ADOPTION.value)
        .with_columns(pl.coalesce("mother_id", "father_id").alias("parent_id"))
        .join(_prefixed(people, "c_", "person_id"), on="person_id", how="left")
        .join(_prefixed(people, "a_", "parent_id"), on="parent_id", how="left")
    )
    state, reason = _decide(
        (pl.col("parent_id").is_null(), S.NEEDS_REVIEW,
         "no adoptive parent's civil number: a registrar finds the family"),
        (pl.col("c_person_id").is_null(), S.HELD,
         pl.format("child {} is not in the registry yet: held and retried", "person_id")),
        (pl.col("a_person_id").is_null(), S.HELD,
         pl.format("adoptive parent {} is not in the registry yet: held and retried", "parent_id")),
        (pl.col("c_death_date").is_not_null(), S.NEEDS_REVIEW,
         pl.format("child {} died on {}", "person_id", "c_death_date")),
        (pl.col("a_death_date").is_not_null(), S.NEEDS_REVIEW,
         pl.format("adoptive parent {} died on {}", "parent_id", "a_death_date")),
        (pl.col("c_family_id") == pl.col("a_family_id"), S.DUPLICATE,
         pl.format("child {} is in family {} already", "person_id", "a_family_id")),
        (pl.col("event_date") < pl.col("c_birth_date"), S.FAILED,
         pl.format("adoption on {} before the child's birth ({})", "event_date", "c_birth_date")),
    )  # fmt: skip
    a = a.with_columns(state.alias("state"), reason.alias("reason"))
    done = a.filter(pl.col("state") == S.APPLIED.value)
    moved = done.select(
        "person_id", pl.col("id").alias("event_id"), pl.col("event_date").alias("as_of"),
        pl.col("a_family_id").alias("_family"),
        pl.when(pl.col("a_relationship").is_in(["head", "spouse"])).then(pl.lit("child")).otherwise(pl.lit("other"))
        .alias("_relationship"),
    )  # fmt: skip
    child = _rows(people, moved, {"family_id": pl.col("_family"), "relationship": pl.col("_relationship")})
    parents = done.select(pl.col("parent_id").alias("person_id"), pl.col("id").alias("event_id"),
                          pl.col("event_date").alias("as_of"))  # fmt: skip
    parent = _rows(people, parents, {"has_children": pl.lit(True)})
    outcomes = a.select("id", "state", "reason", pl.col("person_id").alias("subject"),
                        pl.coalesce("a_family_id", "c_family_id").alias("family_id")).cast(OUTCOME)  # fmt: skip
    return outcomes, [child, parent]


def fetal_deaths(events: pl.DataFrame, people: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    f = events.filter(pl.col("kind") == K.FETAL_DEATH.value).join(
        _prefixed(people, "p_", "person_id"), on="person_id", how="left"
    )
    state, reason = _decide(
        (pl.col("p_person_id").is_null(), S.HELD,
         pl.format("mother {} is not in the registry yet: held and retried", "person_id")),
        (pl.col("p_sex") != "F", S.NEEDS_REVIEW, pl.format("mother {} is recorded as {}, not as a woman",
                                                           "person_id", "p_sex")),
    )  # fmt: skip
    f = f.with_columns(state.alias("state"), reason.alias("reason"))
    outcomes = f.select("id", "state", "reason", pl.col("person_id").alias("subject"),
                        pl.col("p_family_id").alias("family_id")).cast(OUTCOME)  # fmt: skip
    return outcomes, []
