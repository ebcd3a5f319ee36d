"""Payment lines from entitlements: one per beneficiary, programme and month, with its payee."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

import polars as pl

from himaya.payroll.model import LineStatus


class ChildPayee(StrEnum):
    CHILD_FIRST = "child"  # the child's own account, or the guardian's where the child has none
    GUARDIAN = "guardian"  # always the guardian's (the family head's) account


def end_to_end_id(programme: pl.Expr, month: pl.Expr, person: pl.Expr, codes: Mapping[str, str]) -> pl.Expr:
    """A reference that names the line for ever: programme (by the pack's two-character `codes`),
    month and civil number (<= 35 characters)."""
    code = programme.replace_strict(dict(codes), default="XX", return_dtype=pl.String)
    return pl.concat_str(pl.lit("HMY"), code, month.dt.strftime("%y%m"), pl.lit("-"), person)


def payment_lines(
    entitled: pl.DataFrame,
    people: pl.DataFrame,
    *,
    kind: str,
    child_payee: ChildPayee,
    adult_from: date,
    codes: Mapping[str, str],
) -> pl.DataFrame:
    """Lines for `entitled` (person_id, family_id, programme, month, amount in baisa, and optionally
    exception_case: the case of a supervisor's exception that pays it).

    `people` gives each person's relationship, family and current account (person_id, family_id,
    relationship, iban, bank_code). The payee is the beneficiary, except for the child benefit,
    which goes to the guardian (the family head) by choice or where the child has no account,
    and any benefit of a minor (born after `adult_from`) without an account, which also goes to
    the guardian. A line without a payee account is an exception, held until one is registered.
    """
    heads = people.filter(pl.col("relationship") == "head").select(
        "family_id",
        pl.col("person_id").alias("head_id"),
        pl.col("iban").alias("head_iban"),
        pl.col("bank_code").alias("head_bank"),
    )
    own = people.select("person_id", "iban", "bank_code", "birth_date")
    lines = entitled.join(own, on="person_id", how="left").join(heads, on="family_id", how="left")
    minor = pl.col("birth_date") > adult_from
    to_guardian = ((pl.col("programme") == "child") & pl.lit(child_payee == ChildPayee.GUARDIAN)) | (
        minor & pl.col("iban").is_null()
    )
    return lines.select(
        "person_id",
        "programme",
        "month",
        pl.lit(kind).alias("kind"),
        "amount",
        pl.when(to_guardian).then(pl.col("head_id")).otherwise(pl.col("person_id")).alias("payee"),
        pl.when(to_guardian).then(pl.col("head_iban")).otherwise(pl.col("iban")).alias("iban"),
        pl.when(to_guardian).then(pl.col("head_bank")).otherwise(pl.col("bank_code")).alias("bank_code"),
        end_to_end_id(pl.col("programme"), pl.col("month"), pl.col("person_id"), codes).alias("end_to_end_id"),
        # A line a supervisor's exception pays names its case (the rules' lines: none).
        pl.col("exception_case")
        if "exception_case" in lines.columns
        else pl.lit(None, pl.String).alias("exception_case"),
    ).with_columns(
        pl.when(pl.col("iban").is_null())
        .then(pl.lit(LineStatus.EXCEPTION.value))
        .otherwise(pl.lit(LineStatus.PENDING.value))
        .alias("status"),
        pl.when(pl.col("iban").is_null()).then(pl.lit("no bank account for the payee")).otherwise(None).alias("reason"),
    )
