"""A supervisor's override that holds (migration 0040): an exception per person and programme, kept
in force from a month until a review month, paying the amount the supervisor stated where the rules
do not find the person entitled. The enrollment sync keeps the enrollment while it is in force; the
payroll pays it (`payment_line.exception_case` names the case)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from himaya.db.metadata import ID, metadata

benefit_exception = Table(
    "benefit_exception",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("programme", String(32), nullable=False),
    Column("from_month", Date, nullable=False),  # the first month it pays (arrears since then)
    Column("until_month", Date, nullable=False),  # the last month in force: the supervisor's review date
    Column("amount", BigInteger, nullable=False),  # baisa a month, where the rules pay nothing
    Column("case_number", String(24), nullable=False),  # the decision that overrode the rules
    Column("reason", Text, nullable=False),  # the override's reason
    Column("granted_by", String(64), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("ended_by", String(64)),  # a supervisor who ended it early (until_month moved back)
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", Text),
    Column("version", Integer, nullable=False),
    Index(None, "person_id", "programme"),
    Index(None, "until_month"),
    CheckConstraint("amount > 0", name="ck_benefit_exception_amount"),
    CheckConstraint("until_month >= from_month", name="ck_benefit_exception_months"),
)
