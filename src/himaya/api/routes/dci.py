"""The DCI Social Registry search API for partner systems (spdci social_api v1.0.0).

`POST /registry/sync/search` answers in the response; `POST /registry/search` acknowledges at once
(ACK with a correlation id) and POSTs the answer to the sender's `sender_uri` (its `on-search`
endpoint) once computed. Queries: `idtype-value` (UIN = the civil number) and `predicate`
(birth date, year of birth, sex, wilayat, governorate, family). A malformed envelope is answered
with a DCI rejection or error, never with a server error. The partner's branch scope applies to
what it finds, and every search is an audit entry listing the people it returned.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlparse

import httpx
from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, and_, extract, insert, not_, or_, update
from sqlalchemy.sql.elements import ColumnElement
from starlette.concurrency import run_in_threadpool

from himaya.api.security import require
from himaya.api.views import audit_read, pseudonym
from himaya.core.access import Permission, Principal
from himaya.core.clock import now
from himaya.db.scoped import people_records
from himaya.db.tables import dci_transaction, family, person

router = APIRouter(tags=["DCI social registry"])

REG_TYPE = "ns:org:RegistryType:Social"
RECORD_TYPE = "SRPerson"
MAX_REQUESTS = 100  # search requests in one message
MAX_PAGE = 100
ID_TYPES = {"UIN", "NATIONALID", "NATIONAL_ID", "CIVIL_NUMBER", "CIVILNUMBER"}
SEXES = {"male": "M", "female": "F", "m": "M", "f": "F"}
RELATIONSHIPS = {"head": "SELF", "spouse": "PRIMSPOUS", "child": "CHILD"}
MARITAL = {"single": "S", "married": "M", "widowed": "W", "divorced": "D"}


class RejectedError(Exception):
    """A message or one search request the registry will not process, with the DCI reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- the envelope -------------------------------------------------------------------------------


async def _envelope(request: Request) -> dict[str, Any]:
    try:
        payload = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise RejectedError("err.request.bad", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise RejectedError("err.request.bad", "the body must be a JSON object with header and message")
    header, message = payload.get("header"), payload.get("message")
    if not isinstance(header, dict) or not isinstance(message, dict):
        raise RejectedError("err.request.bad", "the envelope needs a header object and a message object")
    for name in ("message_id", "message_ts", "action", "sender_id"):
        if not isinstance(header.get(name), str) or not header[name]:
            raise RejectedError("err.request.bad", f"header.{name} is required (a string)")
        if len(header[name]) > 99:
            raise RejectedError("err.request.bad", f"header.{name} is longer than 99 characters")
    if not _timestamp(header["message_ts"]):
        raise RejectedError("rjct.message_ts.invalid", "header.message_ts must be an ISO 8601 time with its zone")
    if header["action"] != "search":
        raise RejectedError("rjct.action.invalid", f"header.action must be 'search', not {header['action']!r}")
    version = header.get("version", "1.0.0")
    if version != "1.0.0":
        raise RejectedError("err.version.not_supported", f"header.version {version!r} is not supported: use 1.0.0")
    if not isinstance(header.get("total_count"), int) or isinstance(header.get("total_count"), bool):
        raise RejectedError("rjct.total_count.invalid", "header.total_count is required (an integer)")
    if header.get("is_msg_encrypted") or "ciphertext" in message:
        raise RejectedError(
            "err.encryption.invalid", "encrypted messages are not accepted here: send the message in clear"
        )
    requests = message.get("search_request")
    if not isinstance(requests, list) or not requests:
        raise RejectedError("err.request.bad", "message.search_request must be a non-empty list")
    if len(requests) > MAX_REQUESTS:
        raise RejectedError("rjct.total_count.limit_exceeded", f"at most {MAX_REQUESTS} search requests in one message")
    transaction = message.get("transaction_id")
    if transaction is not None and (not isinstance(transaction, str) or len(transaction) > 99):
        raise RejectedError("err.request.bad", "message.transaction_id must be a string of at most 99 characters")
    return payload


def _timestamp(text: Any) -> bool:
    """An ISO 8601 date and time with its zone, as DCI requires."""
    if not isinstance(text, str) or "T" not in text:
        return False
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


# --- one search request ---------------------------------------------------------------------------


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RejectedError("rjct.search_criteria.invalid", f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


def _compare(column: Any, operator: str, value: Any) -> ColumnElement[bool]:
    if operator == "in":
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise RejectedError("rjct.search_criteria.invalid", "operator 'in' needs a list of 1 to 1000 values")
        return column.in_(value)  # type: ignore[no-any-return]
    comparisons = {
        "eq": column.__eq__,
        "gt": column.__gt__,
        "lt": column.__lt__,
        "ge": column.__ge__,
        "le": column.__le__,
    }
    if operator not in comparisons:
        raise RejectedError(
            "rjct.search_criteria.invalid", f"unknown operator {operator!r}: use eq, gt, lt, ge, le or in"
        )
    return comparisons[operator](value)  # type: ignore[no-any-return]


def _expression(expression: Any) -> ColumnElement[bool]:
    """One `{attribute_name, operator, attribute_value}`: every value is a bound parameter."""
    if not isinstance(expression, dict):
        raise RejectedError("rjct.search_criteria.invalid", "an expression must be an object")
    name = str(expression.get("attribute_name", "")).lower()
    operator = str(expression.get("operator", "eq")).lower()
    value = expression.get("attribute_value")
    if isinstance(value, dict | bool) or value is None:
        raise RejectedError(
            "rjct.search_criteria.invalid", f"attribute {name!r}: a value is required (text, number or list)"
        )
    values = value if isinstance(value, list) else [value]
    if name in ("birth_date", "dob", "birthdate"):
        parsed = [_date(v, name) for v in values]
        return _compare(person.c.birth_date, operator, parsed if operator == "in" else parsed[0])
    if name in ("yob", "birth_year"):
        try:
            years = [int(v) for v in values]
        except (TypeError, ValueError, OverflowError):
            raise RejectedError("rjct.search_criteria.invalid", f"YOB: {value!r} is not a year") from None
        if not all(1 <= y <= 9999 for y in years):
            raise RejectedError("rjct.search_criteria.invalid", f"YOB: {value!r} is not a year")
        return _compare(extract("year", person.c.birth_date), operator, years if operator == "in" else years[0])
    texts = [str(v)[:64] for v in values]
    columns = {
        "sex": person.c.sex,
        "gender": person.c.sex,
        "wilayat": person.c.wilayat,
        "governorate": person.c.governorate,
        "group_id": family.c.family_number,
        "family_id": family.c.family_number,
        "uin": person.c.civil_number,
        "civil_number": person.c.civil_number,
    }
    if name not in columns:
        raise RejectedError(
            "rjct.search_criteria.invalid",
            f"unknown attribute {name!r}: use birth_date, YOB, sex, wilayat, governorate, group_id or UIN",
        )
    if name in ("sex", "gender"):
        texts = [SEXES.get(t.lower(), t) for t in texts]
    return _compare(columns[name], operator, texts if operator == "in" else texts[0])


def _predicate(items: Any) -> ColumnElement[bool]:
    if not isinstance(items, list) or not items or len(items) > 20:
        raise RejectedError("rjct.search_criteria.invalid", "a predicate query is a list of 1 to 20 expressions")
    conditions = []
    for item in sorted(items, key=lambda i: i.get("seq_num", 0) if isinstance(i, dict) else 0):
        if not isinstance(item, dict) or "expression1" not in item:
            raise RejectedError("rjct.search_criteria.invalid", "each predicate needs expression1")
        first = _expression(item["expression1"])
        if "expression2" in item and item.get("condition"):
            second = _expression(item["expression2"])
            combine = str(item["condition"]).lower()
            if combine == "and":
                first = and_(first, second)
            elif combine == "or":
                first = or_(first, second)
            elif combine == "not":
                first = and_(first, not_(second))
            else:
                raise RejectedError(
                    "rjct.search_criteria.invalid", f"unknown condition {combine!r}: use and, or or not"
                )
        conditions.append(first)
    return and_(*conditions)


def _criteria(criteria: Any) -> tuple[ColumnElement[bool], int, int]:
    if not isinstance(criteria, dict):
        raise RejectedError("rjct.search_criteria.invalid", "search_criteria must be an object")
    query_type, query = criteria.get("query_type"), criteria.get("query")
    if query_type == "idtype-value":
        if not isinstance(query, dict) or not isinstance(query.get("type"), str):
            raise RejectedError("rjct.search_criteria.invalid", "an idtype-value query needs {type, value}")
        kind = query["type"].upper()
        if kind not in ID_TYPES:
            raise RejectedError(
                "rjct.search_criteria.invalid",
                f"identifier type {query['type']!r} is not held by this registry: search by UIN (the civil number)",
            )
        if isinstance(query.get("value"), dict | list | bool) or query.get("value") is None:
            raise RejectedError("rjct.search_criteria.invalid", "an idtype-value query needs a value")
        condition: ColumnElement[bool] = person.c.civil_number == str(query["value"])[:16]
    elif query_type == "predicate":
        condition = _predicate(query)
    elif query_type == "expression":
        raise RejectedError("rjct.search_criteria.invalid", "expression queries are not supported: use predicate")
    else:
        raise RejectedError("rjct.search_criteria.invalid", "query_type must be idtype-value or predicate")
    pagination = criteria.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise RejectedError("rjct.pagination.invalid", "pagination must be an object")
    size, number = pagination.get("page_size", 10), pagination.get("page_number", 1)
    if (
        not isinstance(size, int)
        or not isinstance(number, int)
        or not 1 <= size <= MAX_PAGE
        or not 1 <= number <= 100_000
    ):
        raise RejectedError("rjct.pagination.invalid", f"page_size is 1 to {MAX_PAGE} and page_number at least 1")
    return condition, size, number


def _record(request: Request, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A person as a DCI social registry record (SR_Person)."""
    record: dict[str, Any] = {
        "@type": "spdci:SR_Person",
        "sex": {"M": "male", "F": "female"}.get(row["sex"], "unknown"),
        "birth_date": row["birth_date"].isoformat(),
        "marital_status": MARITAL.get(row.get("marital_status") or "", "U"),
        "group_identifier": row.get("family_number"),
        "relationship": RELATIONSHIPS.get(row.get("relationship") or "", "FAMMEMB"),
        "address": {"region": row.get("governorate"), "locality": row.get("wilayat"), "country": "OM"},
    }
    if row.get("death_date"):
        record["death_date"] = row["death_date"].isoformat()
    if principal.identifies:
        record["identifier"] = [{"identifier_type": "UIN", "identifier_value": row["civil_number"]}]
        record["name"] = {
            "given_name": row["given_name_en"],
            "second_name": row["father_name_en"],
            "third_name": row["grandfather_name_en"],
            "surname": row["family_name_en"],
            "local": {
                "given_name": row["given_name_ar"],
                "second_name": row["father_name_ar"],
                "third_name": row["grandfather_name_ar"],
                "surname": row["family_name_ar"],
                "language": "ara",
            },
        }
        if row.get("mobile"):
            record["phone_number"] = row["mobile"]
    else:
        record["identifier"] = [
            {"identifier_type": "PSEUDONYM", "identifier_value": pseudonym(request, row["civil_number"])}
        ]
    return record


def _check_item(item: Any) -> None:
    if not isinstance(item, dict) or "search_criteria" not in item:
        raise RejectedError(
            "rjct.search_criteria.invalid", "each search request needs reference_id, timestamp and search_criteria"
        )
    reference = item.get("reference_id")
    if not isinstance(reference, str) or not reference or len(reference) > 99:
        raise RejectedError("rjct.reference_id.invalid", "reference_id must be a string of 1 to 99 characters")
    if not _timestamp(item.get("timestamp")):
        raise RejectedError("rjct.timestamp.invalid", "timestamp must be an ISO 8601 time with its zone")
    locale = item.get("locale")
    if locale is not None and not (isinstance(locale, str) and re.fullmatch("[a-z]{3}", locale)):
        raise RejectedError("rjct.search_criteria.invalid", "locale must be an ISO 639-3 code such as eng or ara")


def _search(request: Request, principal: Principal, payload: dict[str, Any]) -> dict[str, Any]:
    """The on-search message for a valid envelope: one response per search request."""
    responses, found = [], []
    with request.app.state.engine.begin() as connection:
        for item in payload["message"]["search_request"]:
            reference = item.get("reference_id") if isinstance(item, dict) else None
            answer: dict[str, Any] = {"reference_id": str(reference or "")[:99], "timestamp": _stamp()}
            try:
                _check_item(item)
                condition, size, number = _criteria(item["search_criteria"])
                rows, total = people_records(connection, principal, condition, limit=size, offset=(number - 1) * size)
            except RejectedError as rejected:
                answer |= {
                    "status": "rjct",
                    "status_reason_code": rejected.code,
                    "status_reason_message": rejected.message,
                }
            else:
                found += [r["civil_number"] for r in rows]
                answer |= {
                    "status": "succ",
                    "data": {
                        "version": "1.0.0",
                        "reg_type": REG_TYPE,
                        "reg_record_type": RECORD_TYPE,
                        "reg_records": [_record(request, principal, r) for r in rows],
                    },
                    "pagination": {"page_size": size, "page_number": number, "total_count": total},
                }
                if "locale" in item:
                    answer["locale"] = item["locale"]
            responses.append(answer)
        audit_read(request, connection, principal, f"dci:{payload['header']['sender_id'][:64]}", {"people": found})
    message: dict[str, Any] = {"correlation_id": secrets.token_hex(16), "search_response": responses}
    if isinstance(payload["message"].get("transaction_id"), str):
        message["transaction_id"] = payload["message"]["transaction_id"][:99]
    return message


def _header(payload: dict[str, Any] | None, status: str, *, completed: int = 0, total: int = 0) -> dict[str, Any]:
    header: dict[str, Any] = {
        "version": "1.0.0",
        "message_id": secrets.token_hex(12),
        "message_ts": _stamp(),
        "action": "on-search",
        "status": status,
        "total_count": total,
        "completed_count": completed,
        "sender_id": "himaya",
        "is_msg_encrypted": False,
    }
    sender = (payload or {}).get("header", {}).get("sender_id") if isinstance(payload, dict) else None
    if isinstance(sender, str):
        header["receiver_id"] = sender[:99]
    return header


@router.post("/registry/sync/search", summary="DCI: search the social registry, answered at once")
async def sync_search(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.DCI_SEARCH))]
) -> JSONResponse:
    try:
        payload = await _envelope(request)
    except RejectedError as rejected:
        header = _header(None, "rjct") | {
            "status_reason_code": rejected.code if rejected.code.startswith("rjct.") else "rjct.action.invalid",
            "status_reason_message": rejected.message,
        }
        return JSONResponse({"header": header}, status_code=400)
    message = await run_in_threadpool(_search, request, principal, payload)
    return JSONResponse(_on_search(payload, message))


def _on_search(payload: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The on-search answer: `succ` when any search request succeeded, `rjct` when none did."""
    total = len(message["search_response"])
    done = sum(1 for r in message["search_response"] if r["status"] == "succ")
    return {"header": _header(payload, "succ" if done else "rjct", completed=total, total=total), "message": message}


def _ack(status: str, correlation: str, error: RejectedError | None = None, http: int = 200) -> JSONResponse:
    message: dict[str, Any] = {"ack_status": status, "timestamp": _stamp(), "correlation_id": correlation}
    if error is not None:
        message["error"] = {
            "code": error.code if error.code.startswith("err.") else "err.request.bad",
            "message": error.message,
        }
    return JSONResponse({"message": message}, status_code=http)


def _callback_allowed(request: Request, uri: Any) -> bool:
    if not isinstance(uri, str):
        return False
    parsed = urlparse(uri)
    return parsed.scheme in ("http", "https") and (parsed.hostname or "") in request.app.state.dci_callback_hosts


@router.post("/registry/search", summary="DCI: search the social registry; the answer goes to the sender's on-search")
async def async_search(
    request: Request,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(require(Permission.DCI_SEARCH))],
) -> JSONResponse:
    correlation = secrets.token_hex(16)
    try:
        payload = await _envelope(request)
    except RejectedError as rejected:
        return _ack("ERR", correlation, rejected, 400)
    uri = payload["header"].get("sender_uri")
    if not _callback_allowed(request, uri):
        return _ack(
            "ERR",
            correlation,
            RejectedError(
                "err.sender_uri.invalid", "header.sender_uri must be an http(s) address registered for callbacks"
            ),
            400,
        )
    engine: Engine = request.app.state.engine
    with engine.begin() as connection:
        connection.execute(
            insert(dci_transaction).values(
                correlation_id=correlation,
                client=principal.username,
                transaction_id=str(payload["message"].get("transaction_id", ""))[:99] or None,
                status="pdng",
                callback_uri=uri,
                created_at=now(),
            )
        )
    background.add_task(_answer_later, request, principal, payload, correlation, uri)
    return _ack("ACK", correlation)


def deliver(uri: str, answer: dict[str, Any]) -> bool:
    """POST the answer to the sender's on-search endpoint; True if it took it."""
    try:
        return httpx.post(uri, json=answer, timeout=10.0).is_success
    except httpx.HTTPError:
        return False


def _answer_later(request: Request, principal: Principal, payload: dict[str, Any], correlation: str, uri: str) -> None:
    """Compute the answer and POST it to the sender's on-search endpoint; keep it and its outcome."""
    message = _search(request, principal, payload)
    message["correlation_id"] = correlation
    answer = _on_search(payload, message)
    delivered = request.app.state.dci_deliver(uri, answer)
    engine: Engine = request.app.state.engine
    with engine.begin() as connection:
        connection.execute(
            update(dci_transaction)
            .where(dci_transaction.c.correlation_id == correlation)
            .values(status="succ" if delivered else "rjct", response=json.dumps(answer, ensure_ascii=False))
        )
