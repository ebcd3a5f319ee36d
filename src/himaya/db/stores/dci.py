"""The DCI exchange's store: the scoped people search a neutral filter compiles to (one statement
for the page, one for the count), the transactions kept for txn/status, and the partners'
onboarding (sender id, callback addresses, limits). No decisions: `adapters/dci/actions.py` makes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, extract, func, insert, not_, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.access import Principal
from himaya.db.dci_tables import dci_delivery, dci_notification, dci_partner_key, dci_reference
from himaya.db.scoped import people_records
from himaya.db.tables import app_user, dci_callback, dci_partner, dci_transaction, family, person
from himaya.registry.partners import (
    Attempt,
    CallbackLogin,
    Delivery,
    Outcome,
    PartnerKey,
    PartnerTerms,
    Transaction,
    TxnStatus,
)
from himaya.registry.query import AllOf, AnyOf, Condition, Field, Not, Operator, Page, PeopleFilter

COLUMNS: dict[Field, Any] = {
    Field.CIVIL_NUMBER: person.c.civil_number,
    Field.BIRTH_DATE: person.c.birth_date,
    Field.BIRTH_YEAR: extract("year", person.c.birth_date),
    Field.SEX: person.c.sex,
    Field.WILAYAT: person.c.wilayat,
    Field.GOVERNORATE: person.c.governorate,
    Field.FAMILY_NUMBER: family.c.family_number,
}


def condition(found: PeopleFilter) -> ColumnElement[bool]:
    """The filter as a condition over `person` and its current `family`; every value a bound parameter."""
    if isinstance(found, AllOf):
        return and_(*(condition(p) for p in found.parts))
    if isinstance(found, AnyOf):
        return or_(*(condition(p) for p in found.parts))
    if isinstance(found, Not):
        return not_(condition(found.part))
    return _compare(found)


def _compare(found: Condition) -> ColumnElement[bool]:
    column = COLUMNS[found.field]
    if found.operator is Operator.IN:
        return column.in_(found.values)  # type: ignore[no-any-return]
    value = found.values[0]
    compare = {
        Operator.EQ: column.__eq__,
        Operator.GT: column.__gt__,
        Operator.LT: column.__lt__,
        Operator.GE: column.__ge__,
        Operator.LE: column.__le__,
    }[found.operator]
    return compare(value)  # type: ignore[no-any-return]


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone (they were stored in UTC)."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


class SqlDciStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def partner(self, client: str) -> PartnerTerms:
        row = self.connection.execute(select(dci_partner).where(dci_partner.c.client == client)).mappings().first()
        uris = tuple(
            self.connection.execute(
                select(dci_callback.c.uri).where(dci_callback.c.client == client).order_by(dci_callback.c.uri)
            ).scalars()
        )
        registered = self.keys(client)
        keys = tuple(sorted(k.key_id for k in registered))
        notes = tuple(_note(k) for k in sorted(registered, key=lambda k: k.key_id))
        if row is None:
            return PartnerTerms(client, callbacks=uris, keys=keys, key_notes=notes)
        return PartnerTerms(
            client,
            row["sender_id"],
            uris,
            row["max_records"],
            row["per_minute"],
            keys,
            row["token_url"],
            row["token_client_id"],
            notes,
        )

    def callback_login(self, client: str) -> CallbackLogin | None:
        row = self.connection.execute(
            select(dci_partner.c.token_url, dci_partner.c.token_client_id, dci_partner.c.token_secret).where(
                dci_partner.c.client == client
            )
        ).first()
        if row is None or not (row.token_url and row.token_client_id and row.token_secret):
            return None
        return CallbackLogin(row.token_url, row.token_client_id, row.token_secret)

    def keys(self, client: str) -> list[PartnerKey]:
        rows = self.connection.execute(
            select(dci_partner_key)
            .where(dci_partner_key.c.client == client)
            .order_by(dci_partner_key.c.added_at, dci_partner_key.c.key_id)
        ).mappings()
        return [PartnerKey(r["key_id"], r["algorithm"], json.loads(r["jwk"])) for r in rows]

    def search(self, principal: Principal, found: PeopleFilter, page: Page) -> tuple[list[dict[str, Any]], int]:
        if self.connection.dialect.name == "postgresql":
            # A read's audit entry need not wait for the disk (see api/views.py audit_read).
            self.connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        return people_records(self.connection, principal, condition(found), limit=page.size, offset=page.offset)

    def requests_since(self, client: str, since: datetime) -> int:
        total = self.connection.execute(
            select(func.coalesce(func.sum(dci_transaction.c.requests), 0)).where(
                dci_transaction.c.client == client, dci_transaction.c.created_at >= since
            )
        ).scalar_one()
        return int(total)

    def open(self, transaction: Transaction) -> str | None:
        values = {
            name: getattr(transaction, name)
            for name in (
                "correlation_id",
                "client",
                "message_id",
                "transaction_id",
                "sender_id",
                "kind",
                "status",
                "requests",
                "delivery",
                "created_at",
                "expires_at",
            )
        } | {"callback_uri": transaction.callback_uri}
        try:
            with self.connection.begin_nested():  # a duplicate fails alone, not the transaction
                self.connection.execute(insert(dci_transaction).values(values))
        except IntegrityError:
            return self._duplicate(transaction)
        return None

    def _duplicate(self, transaction: Transaction) -> str:
        """Which of the client's ids its refused message repeats (read after the other writer's commit:
        a unique index makes the second of two concurrent inserts wait for the first)."""
        t = dci_transaction.c
        again = select(t.id).where(t.client == transaction.client, t.message_id == transaction.message_id).limit(1)
        return "message_id" if self.connection.execute(again).first() is not None else "transaction_id"

    def finish(self, correlation_id: str, status: TxnStatus, response: str | None, error: str | None) -> None:
        self.connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.correlation_id == correlation_id)
            .values(status=status, response=response, error=error)
        )

    def delivered(self, correlation_id: str, delivery: Delivery, attempts: int) -> None:
        self.connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.correlation_id == correlation_id)
            .values(delivery=delivery, attempts=attempts)
        )

    def refer(self, correlation_id: str, client: str, references: Sequence[str]) -> None:
        rows = [{"correlation_id": correlation_id, "client": client, "reference_id": r} for r in set(references) if r]
        if rows:
            self.connection.execute(insert(dci_reference), rows)

    def attempted(self, correlation_id: str, attempt: Attempt) -> None:
        self.connection.execute(
            insert(dci_delivery).values(
                correlation_id=correlation_id,
                attempt=attempt.attempt,
                uri=attempt.uri,
                at=attempt.at,
                outcome=attempt.outcome,
                http_status=attempt.http_status,
                error=attempt.error,
            )
        )

    def address(self, correlation_id: str, envelope: str) -> None:
        self.connection.execute(
            update(dci_transaction).where(dci_transaction.c.correlation_id == correlation_id).values(envelope=envelope)
        )

    def undelivered(self, at: datetime, before: datetime) -> list[Transaction]:
        rows = self.connection.execute(
            select(dci_transaction)
            .where(
                or_(
                    dci_transaction.c.delivery == Delivery.FAILED,
                    and_(dci_transaction.c.delivery == Delivery.PENDING, dci_transaction.c.created_at < before),
                ),
                dci_transaction.c.envelope.is_not(None),
                dci_transaction.c.callback_uri.is_not(None),
                dci_transaction.c.expires_at > at,
            )
            .order_by(dci_transaction.c.id)
            .limit(1000)
        ).mappings()
        return [_transaction(dict(r)) for r in rows]

    def attempts(self, correlation_id: str) -> list[Attempt]:
        rows = self.connection.execute(
            select(dci_delivery).where(dci_delivery.c.correlation_id == correlation_id).order_by(dci_delivery.c.id)
        ).mappings()
        return [
            Attempt(
                r["attempt"],
                r["uri"],
                _aware(r["at"]) or datetime.now(UTC),
                Outcome(r["outcome"]),
                r["http_status"],
                r["error"],
            )
            for r in rows
        ]

    def find(self, client: str, attribute: str, values: Sequence[str], at: datetime) -> list[Transaction]:
        kept = select(dci_transaction).where(
            dci_transaction.c.client == client,
            dci_transaction.c.expires_at > at,
            or_(dci_transaction.c.kind == "search", dci_transaction.c.kind.is_(None)),
        )
        if attribute == "reference_id_list":
            named = select(dci_reference.c.correlation_id).where(
                dci_reference.c.client == client, dci_reference.c.reference_id.in_(values)
            )
            kept = kept.where(dci_transaction.c.correlation_id.in_(named))
        else:
            kept = kept.where(dci_transaction.c[attribute].in_(values))
        rows = self.connection.execute(kept.order_by(dci_transaction.c.id).limit(100)).mappings()
        return [_transaction(dict(r)) for r in rows]

    def transaction(self, correlation_id: str) -> Transaction:
        row = self.connection.execute(
            select(dci_transaction).where(dci_transaction.c.correlation_id == correlation_id)
        ).mappings()
        return _transaction(dict(row.one()))

    def forget(self, before: datetime) -> int:
        expired = select(dci_transaction.c.correlation_id).where(dci_transaction.c.expires_at < before)
        for kept in (dci_delivery, dci_reference, dci_notification):  # a notification goes with its delivery
            self.connection.execute(delete(kept).where(kept.c.correlation_id.in_(expired)))
        done = self.connection.execute(delete(dci_transaction).where(dci_transaction.c.expires_at < before))
        return done.rowcount or 0


class SqlPartnerStore:
    """The partners' onboarding, as admins manage it (`himaya partners`)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def is_client(self, name: str) -> bool:
        kind = self.connection.execute(select(app_user.c.kind).where(app_user.c.username == name)).scalar()
        return kind == "client"

    def clients(self) -> list[str]:
        named = select(dci_partner.c.client).union(select(dci_callback.c.client), select(dci_partner_key.c.client))
        return sorted(self.connection.execute(named).scalars())

    def set_terms(self, client: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Change some terms (absent keys stay); the terms before (None: none were set)."""
        before = self.connection.execute(select(dci_partner).where(dci_partner.c.client == client)).mappings().first()
        if before is None:
            self.connection.execute(insert(dci_partner).values({"client": client} | changes))
        elif changes:
            self.connection.execute(update(dci_partner).where(dci_partner.c.client == client).values(changes))
        return dict(before) if before else None

    def add_callback(self, client: str, uri: str) -> bool:
        """False if it was registered already."""
        try:
            with self.connection.begin_nested():
                self.connection.execute(insert(dci_callback).values(client=client, uri=uri))
        except IntegrityError:
            return False
        return True

    def remove_callback(self, client: str, uri: str) -> bool:
        done = self.connection.execute(
            delete(dci_callback).where(dci_callback.c.client == client, dci_callback.c.uri == uri)
        )
        return bool(done.rowcount)

    def add_key(self, client: str, key: PartnerKey) -> bool:
        """False if a key of that id is registered for the client already."""
        values = {"client": client, "key_id": key.key_id, "algorithm": key.algorithm, "jwk": json.dumps(key.jwk)}
        try:
            with self.connection.begin_nested():
                self.connection.execute(insert(dci_partner_key).values(values | {"added_at": datetime.now(UTC)}))
        except IntegrityError:
            return False
        return True

    def remove_key(self, client: str, key_id: str) -> bool:
        done = self.connection.execute(
            delete(dci_partner_key).where(dci_partner_key.c.client == client, dci_partner_key.c.key_id == key_id)
        )
        return bool(done.rowcount)

    def retire_key(self, client: str, key_id: str, at: datetime) -> bool:
        which = and_(dci_partner_key.c.client == client, dci_partner_key.c.key_id == key_id)
        jwk = self.connection.execute(select(dci_partner_key.c.jwk).where(which)).scalar()
        if jwk is None:
            return False
        retired = json.loads(jwk) | {"exp": int(at.timestamp())}
        self.connection.execute(update(dci_partner_key).where(which).values(jwk=json.dumps(retired)))
        return True


def _note(key: PartnerKey) -> str:
    until = f" until {key.retires.isoformat(timespec='seconds')}" if key.retires else ""
    return f"{key.use}:{key.key_id}{until}"


def _transaction(row: dict[str, Any]) -> Transaction:
    return Transaction(
        correlation_id=row["correlation_id"],
        client=row["client"],
        message_id=row["message_id"] or "",
        transaction_id=row["transaction_id"] or "",
        sender_id=row["sender_id"] or "",
        kind=row["kind"] or "search",
        status=TxnStatus(row["status"]),
        requests=row["requests"],
        callback_uri=row["callback_uri"],
        created_at=_aware(row["created_at"]) or datetime.now(UTC),
        expires_at=_aware(row["expires_at"]) or datetime.now(UTC),
        response=row["response"],
        delivery=Delivery(row["delivery"]) if row["delivery"] else None,
        attempts=row["attempts"],
        error=row["error"],
        envelope=row["envelope"],
    )
