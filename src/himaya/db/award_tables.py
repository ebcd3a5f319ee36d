"""The insurance's awards (migration 0038): a computed benefit stored for payment, with who prepared
and who approved it, its amount in baisa, its dates and the parameters it was computed with; and
a survivor pension's shares, one row per survivor and period (0042: split again when one leaves).
Money is integer baisa."""

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
    # (0042) the months the share is paid: from `valid_from` (the award's start, or the month after a
    # survivor left and the shares were split again) to `valid_to` (none: the award's end)
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    CheckConstraint(check_in("survivor_group", Group), name="ck_insurance_award_share_group"),
    Index(None, "person_id"),
)
# One share not ended a survivor and award (the rows ended are its history).
Index(
    "uq_insurance_award_share_open",
    insurance_award_share.c.award_id,
    insurance_award_share.c.person_id,
    unique=True,
    sqlite_where=insurance_award_share.c.valid_to.is_(None),
    postgresql_where=insurance_award_share.c.valid_to.is_(None),
)
