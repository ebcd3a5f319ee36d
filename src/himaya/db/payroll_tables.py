"""A transfer as it was sent, kept when its line goes out again in a later run (migration 0025): the
re-issue gives the line another account and message, and the first file must still be written
again byte for byte (`payroll export --again`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text

from himaya.db.metadata import ID, metadata

sent_transfer = Table(
    "sent_transfer",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("line_id", BigInteger, ForeignKey("payment_line.id"), nullable=False),
    Column("message_id", String(35), nullable=False),  # the message it was sent in
    Column("amount", BigInteger, nullable=False),  # baisa sent: the line's amount less its deduction then
    Column("iban", String(34)),
    Column("bank_code", String(8)),
    Column("creditor", Text),  # the payee's name as written in the file
    Index(None, "message_id"),
)
