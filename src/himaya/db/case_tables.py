"""The cases' tables (migration 0010): the cases, their history, the messages they send, and the
yearly counter that numbers them (C-2026-000001).

A case's type and state are the pack's keys (no CHECK: a pack declares its own). A case is in one
branch (its wilayat, and the governorate the pack puts it in): the branch scope of every read is a
condition on these two columns (`db/scoped.case_visible`), and the branch inbox's indexes lead with them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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

from himaya.cases.model import OutboxState
from himaya.db.metadata import ID, metadata
from himaya.payroll.model import check_in

case_file = Table(
    "case_file",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("number", String(24), nullable=False, unique=True),  # C-2026-000001
    Column("type", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("wilayat", Text, nullable=False),
    Column("governorate", Text, nullable=False),
    Column("person_id", BigInteger, ForeignKey("person.id")),  # NULL: an anonymous case
    Column("civil_number", String(16)),
    Column("category", String(32)),
    Column("subject", Text),
    Column("sensitive", Boolean, nullable=False),
    Column("language", String(2), nullable=False),  # of the messages to the person
    Column("form", Text, nullable=False),  # JSON: the type's form, validated
    Column("assigned_to", String(64)),
    Column("opened_by", String(64), nullable=False),
    Column("prepared_by", String(64)),  # who prepared the decision (maker-checker)
    Column("decided_by", String(64)),
    Column("decision", String(32)),  # the state a decision moved it to
    Column("reason", Text),  # the decision's reasons
    Column("rules", Text),  # JSON: an application's verdict of the rules, the failed conditions in ar/en (0013)
    Column("due_on", Date),  # the current state's deadline (working days); NULL: none
    Column("state_since", DateTime(timezone=True), nullable=False),
    Column("escalated_at", DateTime(timezone=True)),  # the breach of the current state's deadline was escalated
    Column("version", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    # A change request: the version and the values of the record it changes when it was opened (0023).
    Column("record_version", Integer),
    Column("record_values", Text),  # JSON: registry column -> its value then, as text
    # An appeal: the case whose decision it appeals; a reversed decision: the appeal that reversed it.
    Column("appealed_id", BigInteger, ForeignKey("case_file.id", name="fk_case_file_appealed_id")),
    Column("reversed_by", String(24)),
    # The branch inbox: a branch's cases (of a state, of a type, of both) in the inbox's order, due
    # date then number (0021, 0030; `stores/cases.SqlCaseStore.inbox` reads a page in index order,
    # not by a sort, and skips no case of another state or type).
    Index("ix_case_file_wilayat_state_due_on_number", "wilayat", "state", "due_on", "number"),
    Index("ix_case_file_wilayat_type_state_due_on_number", "wilayat", "type", "state", "due_on", "number"),
    Index("ix_case_file_governorate_state_due_on_number", "governorate", "state", "due_on", "number"),
    Index("ix_case_file_type_state_due_on_number", "type", "state", "due_on", "number"),
    Index("ix_case_file_wilayat_due_on_number", "wilayat", "due_on", "number"),
    Index("ix_case_file_wilayat_type_due_on_number", "wilayat", "type", "due_on", "number"),
    Index("ix_case_file_governorate_due_on_number", "governorate", "due_on", "number"),
    Index("ix_case_file_due_on_number", "due_on", "number"),  # overdue cases, and the inbox of every branch
    Index(None, "person_id"),
    Index("ix_case_file_appealed_id", "appealed_id"),
)

# An evidence file of a case (0013): the content is stored once, by its SHA-256, in the evidence
# folder (`adapters/evidence.py`); this row says which case it belongs to and what it is.
case_evidence = Table(
    "case_evidence",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("case_file.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(32), nullable=False),  # sniffed from the content
    Column("filename", Text, nullable=False),  # as uploaded (shown, never used as a path)
    Column("size", BigInteger, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "sha256"),
)

case_event = Table(
    "case_event",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("case_file.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # EventKind
    Column("from_state", String(32)),
    Column("to_state", String(32)),
    Column("text", Text),  # the note, or the reasons of a move
    Column("data", Text),  # JSON: what else the step recorded (the assignee, the decision)
    Index(None, "case_id", "id"),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("case_file.id")),
    Column("person_id", BigInteger, ForeignKey("person.id")),
    Column("recipient", String(80), nullable=False),  # a civil number, or role:NAME@WILAYAT
    Column("channel", String(8), nullable=False),  # Delivery
    Column("language", String(2), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),  # OutboxState (16 since migration 0012)
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # Migration 0012: delivery. The address it was (or is being) sent to; the sender's claim and when it
    # was made (a claim older than the lease is a sender that stopped); when a retry is due.
    Column("address", String(254)),
    Column("claim", String(32)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("next_at", DateTime(timezone=True)),
    # Migration 0032: the batch a letter was printed in (`letter_batch`: where, by whom, when).
    Column("batch_id", BigInteger, ForeignKey("letter_batch.id", name="fk_notification_outbox_batch_id")),
    Index(None, "state", "id"),  # the sender's queue
    Index("ix_notification_outbox_batch_id", "batch_id"),
    Index(None, "case_id"),
    CheckConstraint(check_in("state", OutboxState), name="ck_notification_outbox_state"),
)

# A batch of letters printed at a branch (0032): the branch's waiting letters, printed together by one
# officer; its letters point to it (`notification_outbox.batch_id`), so that a lost printout is printed
# again from it, never by marking other letters.
letter_batch = Table(
    "letter_batch",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("wilayat", Text, nullable=False),
    Column("governorate", Text, nullable=False),
    Column("printed_by", String(64), nullable=False),
    Column("printed_at", DateTime(timezone=True), nullable=False),
    Column("letters", Integer, nullable=False),
)

# A staff message read by one of its recipients (0032): each user reads their own copy.
staff_read = Table(
    "staff_read",
    metadata,
    Column("message_id", BigInteger, ForeignKey("notification_outbox.id"), primary_key=True),
    Column("username", String(64), primary_key=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
)

# The last number given to a case in each year: numbers are consecutive and never given twice.
case_counter = Table(
    "case_counter",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False),
)

# A referral (0024): the case of the referral type it is, and what the referral actions need as
# columns: its service and provider (a provider's reads are scoped on it), the month it was proposed
# for and by which rule (none: opened by hand), the person's consent (who gave it, how, when, and the
# user who recorded it), and when it was sent to the provider (a provider sees it from then on only).
referral = Table(
    "referral",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("case_file.id"), nullable=False, unique=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),
    Column("service", String(32), nullable=False),
    Column("provider", String(48)),
    Column("rule", String(32)),
    Column("period", Date),  # the first day of the month it was proposed for
    Column("consent_given_by", Text),
    Column("consent_channel", String(16)),  # ConsentChannel
    Column("consent_at", DateTime(timezone=True)),
    Column("consent_recorded_by", String(64)),
    Column("sent_at", DateTime(timezone=True)),
    # Never proposed twice for a month, even by two proposers at once (NULL period: opened by hand).
    UniqueConstraint("person_id", "service", "period"),
    Index(None, "provider", "sent_at"),
    CheckConstraint("sent_at IS NULL OR (consent_at IS NOT NULL AND provider IS NOT NULL)", name="ck_referral_consent"),
)
