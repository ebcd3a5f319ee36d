"""The DCI exchange's delivery record (migration 0012): every POST of an async answer to a partner,
one row per attempt, and the reference ids of each kept transaction's requests (txn status by
`reference_id_list`). Both are removed with their transaction when its retention ends."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from himaya.db.metadata import ID, metadata
from himaya.payroll.model import check_in
from himaya.registry.partners import Outcome

dci_delivery = Table(
    "dci_delivery",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("correlation_id", String(64), nullable=False),  # the transaction whose answer was POSTed
    Column("attempt", Integer, nullable=False),  # 1, 2, ...
    Column("uri", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("http_status", Integer),  # the partner's answer, when it gave one
    Column("error", Text),  # why not: a refused connection, a timeout, a non-2xx
    CheckConstraint(check_in("outcome", Outcome), name="ck_dci_delivery_outcome"),
    Index(None, "correlation_id"),
)

dci_reference = Table(
    "dci_reference",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("correlation_id", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("reference_id", String(99), nullable=False),
    Index(None, "client", "reference_id"),
    Index(None, "correlation_id"),
)

# The public keys a partner signs its messages with (migration 0029): a JWK each, by key id.
dci_partner_key = Table(
    "dci_partner_key",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),
    Column("key_id", String(99), nullable=False),
    Column("algorithm", String(16), nullable=False),  # ed25519 or rsa-sha256
    Column("jwk", Text, nullable=False),  # the public key, as a JSON Web Key
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("client", "key_id"),
)
