"""The registry's tables (SQLAlchemy Core). The migrations in `migrations/versions` create them.

Facts that change over time live in rows with a validity period: `valid_from` (inclusive; empty means
"since the person was first registered") and `valid_to` (exclusive; empty means "still valid"). A change
closes the current row and opens a new one, so the registry as it stood on any day can be read back."""

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
    func,
)

# Tables of modules of their own, on the same metadata: imported, so the migrations' test sees them.
from himaya.db.attribute_tables import person_attribute, registry_setting  # noqa: F401
from himaya.db.award_tables import insurance_award, insurance_award_share  # noqa: F401
from himaya.db.case_tables import case_counter, case_event, case_file, notification_outbox  # noqa: F401
from himaya.db.crvs_tables import crvs_search, crvs_subscription  # noqa: F401
from himaya.db.dci_tables import dci_delivery, dci_reference  # noqa: F401
from himaya.db.event_tables import event_effect, event_inbox  # noqa: F401
from himaya.db.exception_tables import benefit_exception  # noqa: F401
from himaya.db.insurance_tables import insurance_declaration, insurance_employer  # noqa: F401
from himaya.db.metadata import ID, metadata, per_statement_keys
from himaya.db.payroll_tables import sent_transfer  # noqa: F401
from himaya.db.search_tables import name_pair, name_token  # noqa: F401
from himaya.db.session_tables import cli_session as cli_session  # noqa: PLC0414  (re-exported)
from himaya.db.session_tables import login_attempt as login_attempt  # noqa: PLC0414
from himaya.enrollment.model import EnrollmentStatus
from himaya.payroll.model import DebtStatus, LineKind, LineStatus, RunState, check_in


def _validity() -> tuple[Column[object], ...]:
    return (Column("valid_from", Date, nullable=True), Column("valid_to", Date, nullable=True))


def _person_ref() -> Column[int]:
    return Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False)


person = Table(
    "person",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("civil_number", String(16), nullable=False, unique=True),
    *(
        Column(f"{part}_{script}", Text)
        for script in ("ar", "en")
        for part in ("given_name", "father_name", "grandfather_name", "family_name")
    ),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("death_date", Date),
    Column("nationality", String(2), nullable=False),
    Column("governorate", Text),
    Column("wilayat", Text),
    Column("mobile", String(16)),
    Column("merged_into", BigInteger, ForeignKey("person.id")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "wilayat"),
    Index(None, "governorate"),
    Index(None, "mobile"),
)

situation = Table(
    "person_situation",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("resident", Boolean, nullable=False),
    Column("marital_status", String(16), nullable=False),
    Column("has_children", Boolean),  # Oman's; empty for a pack without it (migration 0046)
    Column("employed", Boolean, nullable=False),
    Column("father_deceased", Boolean),  # Oman's; empty for a pack without it (migration 0046)
    Column("mother_deceased", Boolean),  # Oman's; empty for a pack without it (migration 0046)
    *_validity(),
    Index(None, "person_id", "valid_to"),
)

family = Table(
    "family",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("family_number", String(32), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

membership = Table(
    "membership",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("family_id", BigInteger, ForeignKey("family.id"), nullable=False),
    Column("relationship", String(16), nullable=False),
    *_validity(),
    Index(None, "person_id", "valid_to"),
    Index(None, "family_id"),
)

disability = Table(
    "disability_assessment",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("category", String(32)),
    Column("card", Boolean),  # Oman's disability card; empty for a pack without it (migration 0046)
    Column("card_number", String(32)),
    Column("assessed_on", Date),
    *_validity(),
    Index(None, "person_id", "valid_to"),
)

income = Table(
    "income",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("kind", String(24), nullable=False),  # wage, pension, survivor_pension, alimony, other_income
    Column("monthly_amount", BigInteger, nullable=False),  # baisa
    Column("source", String(32), nullable=False),
    *_validity(),
    Index(None, "person_id", "kind", "valid_to"),
)

earning_capacity = Table(
    "earning_capacity",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("monthly_amount", BigInteger, nullable=False),  # baisa
    Column("assessed_on", Date),
    *_validity(),
    Index(None, "person_id", "valid_to"),
)

bank_account = Table(
    "bank_account",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("iban", String(34), nullable=False),
    Column("bank_code", String(8)),
    *_validity(),
    Index(None, "person_id", "valid_to"),
)

enrollment = Table(
    "enrollment",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    _person_ref(),
    Column("programme", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # EnrollmentStatus
    Column("applied_on", Date),
    Column("start_month", Date, nullable=False),
    Column("end_month", Date),
    Column("reason", Text),
    Column("version", Integer, nullable=False),
    Index(None, "person_id", "programme"),
    CheckConstraint(check_in("status", EnrollmentStatus), name="ck_enrollment_status"),  # migration 0006
)

audit_entry = Table(
    "audit_entry",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("request_id", Text),
    Column("before", Text),  # canonical JSON
    Column("after", Text),  # canonical JSON
    Column("previous_hash", String(64), nullable=False, unique=True),  # two entries after one would be a fork
    Column("hash", String(64), nullable=False, unique=True),
    Column("scheme", Integer, nullable=False, server_default="1"),  # how `hash` was computed (audit.entry_hash)
)

# The chain's last hash, in one row: appends lock it, link to it and move it (migration 0005).
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
)

payroll_run = Table(
    "payroll_run",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("period", Date, nullable=False, unique=True),  # first day of the month paid
    Column("state", String(16), nullable=False),  # RunState
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", Text),
    Column("submitted_at", DateTime(timezone=True)),
    Column("approved_by", Text),
    Column("approved_at", DateTime(timezone=True)),
    Column("exported_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Column("seal", String(64)),  # SHA-256 of the lines as approved; the export refuses lines that differ (0006)
    Column("figures", Text),  # JSON: the run's figures when it was closed, frozen (0006)
    Column("export", Text),  # JSON: what the files were written with and their SHA-256 (0025)
    CheckConstraint(check_in("state", RunState), name="ck_payroll_run_state"),  # migration 0006
)

payment_line = Table(
    "payment_line",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("run_id", BigInteger, nullable=False),
    Column("person_id", BigInteger, nullable=False),
    Column("programme", String(32), nullable=False),
    Column("month", Date, nullable=False),  # the month the amount is for (earlier than the run's for arrears)
    Column("kind", String(16), nullable=False),  # LineKind
    Column("amount", BigInteger, nullable=False),  # money: an integer of the pack's smallest unit (baisa, dinars)
    Column("payee_id", BigInteger, nullable=False),
    Column("iban", String(34)),
    Column("bank_code", String(8)),
    Column("end_to_end_id", String(35), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # LineStatus
    Column("reason", Text),
    Column("message_id", String(35)),
    Column("deduction", BigInteger, nullable=False, server_default="0"),  # baisa recovered from this line
    Column("creditor", Text),  # the payee's name as the export wrote it (a lost file is written again with it)
    Column("exception_case", String(24)),  # paid by a supervisor's exception: its case (migration 0040)
    # Nobody is paid twice for a programme and month: one line, ever, per person, programme and month.
    Index("uq_payment_line_once", "person_id", "programme", "month", unique=True),
    Index(None, "run_id", "status"),
    CheckConstraint(check_in("status", LineStatus), name="ck_payment_line_status"),  # migration 0006
    CheckConstraint(check_in("kind", LineKind), name="ck_payment_line_kind"),
    *per_statement_keys(run_id="payroll_run.id", person_id="person.id", payee_id="person.id"),  # 0051
)

debt = Table(
    "debt",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, ForeignKey("person.id"), nullable=False),  # who repays
    Column("line_id", BigInteger, ForeignKey("payment_line.id"), nullable=False, unique=True),  # what was overpaid
    Column("amount", BigInteger, nullable=False),  # baisa
    Column("recovered", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # DebtStatus
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(check_in("status", DebtStatus), name="ck_debt_status"),  # migration 0006
)

recovery = Table(
    "recovery",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("debt_id", BigInteger, ForeignKey("debt.id"), nullable=False),
    Column("line_id", BigInteger, ForeignKey("payment_line.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),  # baisa deducted from that line for that debt
)

# Who may do what (0004): users are people or partner systems; grants are data, seeded from access.DEFAULT_GRANTS.
app_user = Table(
    "app_user",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text),
    Column("kind", String(8), nullable=False),  # person, client
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("active", Boolean, nullable=False),
    # Bumped on every change of password, roles or scopes and on logout: tokens issued before stop working.
    Column("token_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
# One user per case-folded name (maker-checker and the audit trail compare names folded): the check
# in `create_user` reads before it writes, so two creations at once are kept apart by this index.
Index("uq_app_user_username_folded", func.lower(app_user.c.username), unique=True)

user_role = Table(
    "user_role",
    metadata,
    Column("user_id", BigInteger, ForeignKey("app_user.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
)

user_scope = Table(
    "user_scope",
    metadata,
    Column("user_id", BigInteger, ForeignKey("app_user.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # wilayat, governorate, all
    Column("value", String(64), primary_key=True),  # the wilayat or governorate ('' for all)
)

role_permission = Table(
    "role_permission",
    metadata,
    Column("role", String(32), primary_key=True),
    Column("permission", String(32), primary_key=True),
)

refresh_token = Table(
    "refresh_token",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, ForeignKey("app_user.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the opaque token
    Column("family", String(32), nullable=False),  # one login's chain of rotated tokens
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),  # rotated: a second use is a replay
    Column("revoked_at", DateTime(timezone=True)),
)

service_setting = Table(
    "service_setting",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

dci_transaction = Table(
    "dci_transaction",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("correlation_id", String(64), nullable=False, unique=True),
    Column("client", String(64), nullable=False),
    Column("transaction_id", String(99)),
    Column("status", String(8), nullable=False),  # rcvd, pdng, succ, rjct
    Column("callback_uri", Text),
    Column("response", Text),  # the on-search message as sent (JSON)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("message_id", String(99)),  # since 0009: kept for txn/status until expires_at; once per client
    Column("sender_id", String(99)),
    Column("kind", String(16)),  # search, txn-status, subscribe, unsubscribe, notify
    Column("requests", Integer, nullable=False, server_default="0"),  # search requests in the message
    Column("delivery", String(16)),  # pending, delivered, failed (async answers only)
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),  # why the answer could not be made
    Column("expires_at", DateTime(timezone=True)),
    Column("envelope", Text),  # since 0012: the async answer as POSTed (header and message), for redelivery
    Index(None, "client", "message_id", unique=True),
    Index(None, "client", "kind", "transaction_id", unique=True),  # since 0043: once per kind of message
    Index(None, "client", "created_at"),
    Index(None, "expires_at"),  # the expired ones are removed as messages come in
)

# A partner system's DCI onboarding (`himaya partners set`): the sender id it must send and its
# own limits (NULL: the service's settings).
dci_partner = Table(
    "dci_partner",
    metadata,
    Column("client", String(64), primary_key=True),
    Column("sender_id", String(99)),
    Column("max_records", Integer),
    Column("per_minute", Integer),
    # The partner's token endpoint and our client credentials there (0029): our callbacks' bearer token.
    Column("token_url", Text),
    Column("token_client_id", String(99)),
    Column("token_secret", Text),
)

# The only addresses a partner's async answers are POSTed to.
dci_callback = Table(
    "dci_callback",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("uri", Text, nullable=False),
    UniqueConstraint("client", "uri"),
)
