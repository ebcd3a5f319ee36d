"""Who a DCI message is from: the sender id bound to the authenticated client, and the message's
signature checked with the keys registered for that client (`signing.verify`), in the unit of
work that then keeps the message: a refused message writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from himaya.adapters.dci.envelope import RequestHeader
from himaya.adapters.dci.ports import DciUnitOfWork
from himaya.adapters.dci.query import RejectedError
from himaya.adapters.dci.signing import Seal, verify
from himaya.core.access import Principal
from himaya.registry.partners import PartnerTerms


def check_sender(terms: PartnerTerms, sender_id: str, principal: Principal) -> None:
    """A partner sends the sender id registered for it (its client name by default), no other."""
    if sender_id != (terms.sender_id or principal.username):
        raise RejectedError(
            "err.sender_id.invalid", "header.sender_id is not the sender id registered for your client", 403
        )


def check(
    uow: DciUnitOfWork, terms: PartnerTerms, header: RequestHeader, principal: Principal, seal: Seal
) -> str | None:
    """The sender id, then the signature with the client's registered keys (never another
    partner's); the key id it verified with, None for an unsigned message from a partner without keys."""
    check_sender(terms, header.sender_id, principal)
    return verify(seal, uow.dci.keys(principal.username), sender_id=header.sender_id, now=datetime.now(UTC))
