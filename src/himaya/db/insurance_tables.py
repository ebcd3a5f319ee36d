"""Social insurance's tables (migration 0016): employers, their monthly declarations with the lines and
the contributions due by branch of each revision, and the payments received. Money is integer baisa.

One declaration per employer and month (a unique index): a correction moves it to its next
revision; the lines and dues of earlier revisions are kept, and only the current revision's are
read, so nothing declared is ever counted twice.
"""

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
from himaya.insurance.model import Branch, Sector
from himaya.payroll.model import check_in

insurance_employer = Table(
    "insurance_employer",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("cr_number", String(16), nullable=False, unique=True),  # commercial registration number
    Column("name", Text, nullable=False),
    Column("sector", String(24), nullable=False),
    Column("wilayat", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(check_in("sector", Sector), name="ck_insurance_employer_sector"),
)

insurance_declaration = Table(
    "insurance_declaration",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("employer_id", BigInteger, ForeignKey("insurance_employer.id"), nullable=False),
    Column("month", Date, nullable=False),  # its first day
    Column("revision", Integer, nullable=False),  # 1, then one more for each correction
    Column("insured", Integer, nullable=False),  # of the current revision
    Column("wages", BigInteger, nullable=False),
    Column("due", BigInteger, nullable=False),  # every branch, both shares
    Column("declared_by", Text, nullable=False),
    Column("declared_at", DateTime(timezone=True), nullable=False),
    Column("source", Text),  # the file's name
    UniqueConstraint("employer_id", "month"),
    Index(None, "month"),
)

insurance_line = Table(
    "insurance_line",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("declaration_id", BigInteger, ForeignKey("insurance_declaration.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("wage", BigInteger, nullable=False),
    Column("basic_wage", BigInteger, nullable=False),
    Column("days", Integer, nullable=False),
    UniqueConstraint("person_id", "declaration_id", "revision"),  # a person once a revision; a career by person
)

insurance_due = Table(
    "insurance_due",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("declaration_id", BigInteger, ForeignKey("insurance_declaration.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("branch", String(16), nullable=False),
    Column("insured", Integer, nullable=False),  # lines with a share in the branch
    Column("employee", BigInteger, nullable=False),
    Column("employer", BigInteger, nullable=False),
    UniqueConstraint("declaration_id", "revision", "branch"),
    CheckConstraint(check_in("branch", Branch), name="ck_insurance_due_branch"),
)

insurance_payment = Table(
    "insurance_payment",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("employer_id", BigInteger, ForeignKey("insurance_employer.id"), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reference", String(64), nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("employer_id", "reference"),  # a payment recorded twice is refused
    CheckConstraint("amount > 0", name="ck_insurance_payment_amount"),
)
