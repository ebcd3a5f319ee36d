"""The insurance's awards (migration 0038): a computed benefit stored for payment, with who prepared
and who approved it, its amount in baisa, its dates and the parameters it was computed with; and
a survivor pension's shares, one row per survivor. Money is integer baisa."""

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
    UniqueConstraint,
)

from himaya.db.metadata import ID, metadata
from himaya.insurance.award_model import AwardState, Benefit, Group
from himaya.payroll.model import check_in

insurance_award = Table(
    "insurance_award",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    # The insured person: the pensioner, the claimant, the mother; the deceased of a survivor pension.
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("benefit", String(16), nullable=False),
    Column("claim", Integer),  # a job security claim's number: counted from the claims stored
    Column("day", Date, nullable=False),  # computed for: the pension's day, the loss, the birth, the death
    Column("amount", BigInteger, nullable=False),  # baisa a month (maternity: the whole leave's)
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),  # none: until ended
    Column("parameters", Text, nullable=False),  # JSON: each parameter's path, value, status, reference
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("prepared_by", Text, nullable=False),
    Column("prepared_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", Text),
    Column("approved_at", DateTime(timezone=True)),
    Column("ended_by", Text),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", Text),
    CheckConstraint(check_in("benefit", Benefit), name="ck_insurance_award_benefit"),
    CheckConstraint(check_in("state", AwardState), name="ck_insurance_award_state"),
    CheckConstraint("amount >= 0", name="ck_insurance_award_amount"),
    Index(None, "person_id", "benefit"),
    Index(None, "state"),
)

insurance_award_share = Table(
    "insurance_award_share",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("award_id", BigInteger, ForeignKey("insurance_award.id"), nullable=False),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),  # the survivor
    Column("survivor_group", String(16), nullable=False),
    Column("share", String(16), nullable=False),  # of the whole pension, 'n/d'
    Column("amount", BigInteger, nullable=False),  # baisa a month
    CheckConstraint(check_in("survivor_group", Group), name="ck_insurance_award_share_group"),
    UniqueConstraint("award_id", "person_id"),
    Index(None, "person_id"),
)
