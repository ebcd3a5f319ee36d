"""A DCI search message translated into the registry's neutral filters (`registry/query.py`).

A message-level problem (header, count of requests) raises `RejectedError` for the whole message; a
problem in one search request becomes that request's rejection, and the others are answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from himaya.adapters.dci.envelope import Expression, IdTypeValue, Predicate, RequestHeader, SearchCriteria, SearchItem
from himaya.core.errors import InvalidInputError
from himaya.registry.query import AllOf, AnyOf, Condition, Field, Not, Operator, Page, PeopleFilter

MAX_PAGE = 100
MAX_PREDICATES = 20
ID_TYPES = {"UIN", "NATIONALID", "NATIONAL_ID", "CIVIL_NUMBER", "CIVILNUMBER"}
SEXES = {"male": "M", "female": "F", "m": "M", "f": "F"}
FIELDS = {
    "birth_date": Field.BIRTH_DATE,
    "dob": Field.BIRTH_DATE,
    "birthdate": Field.BIRTH_DATE,
    "yob": Field.BIRTH_YEAR,
    "birth_year": Field.BIRTH_YEAR,
    "sex": Field.SEX,
    "gender": Field.SEX,
    "wilayat": Field.WILAYAT,
    "district": Field.WILAYAT,  # the registry's place, whatever the pack calls it (Iraq: a district)
    "governorate": Field.GOVERNORATE,
    "group_id": Field.FAMILY_NUMBER,
    "family_id": Field.FAMILY_NUMBER,
    "uin": Field.CIVIL_NUMBER,
    "civil_number": Field.CIVIL_NUMBER,
}
CRITERIA = "rjct.search_criteria.invalid"


class RejectedError(InvalidInputError):
    """A message or one search request the registry will not process: the DCI reason code, a text
    for people, and the HTTP status when it refuses a whole message."""

    def __init__(self, code: str, message: str, http: int = 400) -> None:
        super().__init__(message)
        self.reason, self.message, self.http = code, message, http


@dataclass(frozen=True)
class Planned:
    """One search request: what to find, or why not."""

    reference_id: str
    locale: str | None
    filter: PeopleFilter | None = None
    page: Page | None = None
    rejection: RejectedError | None = None


def timestamp(text: Any) -> bool:
    """An ISO 8601 date and time with its zone, as DCI requires."""
    if not isinstance(text, str) or "T" not in text:
        return False
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def check_header(header: RequestHeader, action: str) -> None:
    if not timestamp(header.message_ts):
        raise RejectedError("rjct.message_ts.invalid", "header.message_ts must be an ISO 8601 time with its zone")
    if header.action != action:
        raise RejectedError("rjct.action.invalid", f"header.action must be {action!r}, not {header.action!r}")
    if header.version != "1.0.0":
        raise RejectedError(
            "err.version.not_supported", f"header.version {header.version!r} is not supported: use 1.0.0"
        )


def plan(items: list[SearchItem], *, max_requests: int) -> list[Planned]:
    """Every search request of a message, translated or rejected."""
    if len(items) > max_requests:
        raise RejectedError("rjct.total_count.limit_exceeded", f"at most {max_requests} search requests in one message")
    planned, seen = [], set()
    for item in items:
        reference = (item.reference_id or "")[:99]
        try:
            _check_item(item)
            if reference and reference in seen:  # its answer could not be told from the first's
                raise RejectedError("rjct.reference_id.duplicate", "reference_id is repeated in the message")
            seen.add(reference)
            found, page = criteria_filter(item.search_criteria)
        except RejectedError as rejected:
            planned.append(Planned(reference, item.locale, rejection=rejected))
        else:
            planned.append(Planned(reference, item.locale, found, page))
    return planned


def _check_item(item: SearchItem) -> None:
    if not item.reference_id or len(item.reference_id) > 99:
        raise RejectedError("rjct.reference_id.invalid", "reference_id must be a string of 1 to 99 characters")
    if not timestamp(item.timestamp):
        raise RejectedError("rjct.timestamp.invalid", "timestamp must be an ISO 8601 time with its zone")
    if item.locale is not None and not re.fullmatch("[a-z]{3}", item.locale):
        raise RejectedError(CRITERIA, "locale must be an ISO 639-3 code such as eng or ara")
    _check_scope(item.search_criteria)


def _check_scope(criteria: SearchCriteria) -> None:
    """What the request asks of this registry that it does not answer, rejected rather than ignored:
    another registry type, records other than persons (a family's members: `group_id eq …`), or an
    order other than the civil number's (the only one a page is taken in)."""
    kind = criteria.reg_type
    if kind is not None and kind.rsplit(":", 1)[-1].strip().lower() != "social":
        raise RejectedError(
            CRITERIA, f"reg_type {kind[:99]!r}: this is the social registry (ns:org:RegistryType:Social)"
        )
    extra = criteria.model_extra or {}
    entity = extra.get("response_entity")
    named = entity.rsplit(":", 1)[-1].strip().lower() if isinstance(entity, str) else None
    if entity is not None and named not in PERSONS:
        raise RejectedError(
            CRITERIA,
            f"response_entity {str(entity)[:40]!r}: this registry answers person records (SR_Person); "
            "a family's members are found with group_id eq the family number",
        )
    order = extra.get("sort")
    if order is not None and not (isinstance(order, list) and all(_by_civil_number(o) for o in order)):
        raise RejectedError(
            "rjct.sort.invalid", "answers are sorted by the civil number only: sort [{attribute_name UIN, asc}]"
        )


def _by_civil_number(given: Any) -> bool:
    if not isinstance(given, dict) or set(given) - {"attribute_name", "sort_order"}:
        return False
    name, order = given.get("attribute_name"), given.get("sort_order", "asc")
    return isinstance(name, str) and name.upper() in ID_TYPES and order == "asc"


def criteria_filter(criteria: SearchCriteria) -> tuple[PeopleFilter, Page]:
    query = criteria.query
    if criteria.query_type == "idtype-value":
        if not isinstance(query, IdTypeValue):
            raise RejectedError(CRITERIA, "an idtype-value query needs {type, value}")
        if query.type.upper() not in ID_TYPES:
            raise RejectedError(
                CRITERIA,
                f"identifier type {query.type!r} is not held by this registry: search by UIN (the civil number)",
            )
        if query.value is None:
            raise RejectedError(CRITERIA, "an idtype-value query needs a value")
        found: PeopleFilter = Condition(Field.CIVIL_NUMBER, Operator.EQ, (str(query.value)[:16],))
    elif criteria.query_type == "predicate":
        if not isinstance(query, list):
            raise RejectedError(CRITERIA, "a predicate query is a list of expressions")
        found = _predicates(query)
    elif criteria.query_type == "expression":
        found = expression_query(query)
    else:
        raise RejectedError(CRITERIA, "query_type must be idtype-value or predicate")
    pagination = criteria.pagination
    size, number = (pagination.page_size, pagination.page_number) if pagination else (10, 1)
    if not 1 <= size <= MAX_PAGE or not 1 <= number <= 100_000:
        raise RejectedError("rjct.pagination.invalid", f"page_size is 1 to {MAX_PAGE} and page_number 1 to 100000")
    return found, Page(size, number)


OPERATORS = {
    "$eq": "eq",
    "$gt": "gt",
    "$lt": "lt",
    "$ge": "ge",
    "$gte": "ge",
    "$le": "le",
    "$lte": "le",
    "$in": "in",
}
PERSONS = {"person", "individual", "sr_person", "srperson", "member"}
MAX_TERMS = 50  # conditions in one expression query


def expression_query(query: Any) -> PeopleFilter:
    """`{type, value: {expression: {collection, query: {"$and": [{name: {"$lt": value}}, ...]}}}}`,
    the spec's expression query: `$and`, `$or`, `$not` over the predicate's attributes and operators."""
    value = query.value if isinstance(query, IdTypeValue) else query.get("value") if isinstance(query, dict) else None
    expression = value.get("expression") if isinstance(value, dict) else None
    if not isinstance(expression, dict):
        raise RejectedError(CRITERIA, "an expression query needs value.expression with a query")
    collection = expression.get("collection")
    if collection is not None and str(collection).lower() not in PERSONS:
        raise RejectedError(CRITERIA, f"collection {collection!r}: this registry answers with persons (Person)")
    return _term(expression.get("query"), [0])


def _term(node: Any, seen: list[int]) -> PeopleFilter:
    seen[0] += 1
    if seen[0] > MAX_TERMS:
        raise RejectedError(CRITERIA, f"an expression query has at most {MAX_TERMS} terms")
    if not isinstance(node, dict) or not node:
        raise RejectedError(CRITERIA, "each term of an expression query is a non-empty object")
    parts: list[PeopleFilter] = []
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise RejectedError(CRITERIA, f"{key} needs a non-empty list of terms")
            terms = tuple(_term(v, seen) for v in value)
            parts.append(AllOf(terms) if key == "$and" else AnyOf(terms))
        elif key == "$not":
            parts.append(Not(_term(value, seen)))
        else:
            operands = value if isinstance(value, dict) else {"$eq": value}
            for operator, operand in operands.items():
                seen[0] += 1
                if seen[0] > MAX_TERMS:
                    raise RejectedError(CRITERIA, f"an expression query has at most {MAX_TERMS} terms")
                if operator not in OPERATORS:
                    raise RejectedError(CRITERIA, f"{key}: operator {operator!r}: use {', '.join(OPERATORS)}")
                try:
                    term = Expression(attribute_name=key, operator=OPERATORS[operator], attribute_value=operand)
                except ValidationError:
                    raise RejectedError(CRITERIA, f"{key}: a value is text, a number or a list of them") from None
                parts.append(expression_filter(term))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _order(item: Predicate) -> int:
    """A predicate's place: its seq_num as a number; "" or none (upstream samples) counts as 0."""
    number = item.seq_num
    if isinstance(number, str):
        return int(number) if number.strip().isdigit() else 0
    return number or 0


def _predicates(items: list[Predicate]) -> PeopleFilter:
    if not 1 <= len(items) <= MAX_PREDICATES:
        raise RejectedError(CRITERIA, f"a predicate query is a list of 1 to {MAX_PREDICATES} expressions")
    parts = []
    for item in sorted(items, key=_order):
        if item.expression1 is None:
            raise RejectedError(CRITERIA, "each predicate needs expression1")
        first: PeopleFilter = expression_filter(item.expression1)
        if item.expression2 is not None and item.condition:
            second = expression_filter(item.expression2)
            combine = item.condition.lower()
            if combine == "and":
                first = AllOf((first, second))
            elif combine == "or":
                first = AnyOf((first, second))
            elif combine == "not":
                first = AllOf((first, Not(second)))
            else:
                raise RejectedError(CRITERIA, f"unknown condition {combine!r}: use and, or or not")
        parts.append(first)
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def expression_filter(expression: Expression) -> Condition:
    """One `{attribute_name, operator, attribute_value}` as a condition on a registry field."""
    name = expression.attribute_name.lower()
    if name not in FIELDS:
        raise RejectedError(
            CRITERIA,
            f"unknown attribute {name!r}: use birth_date, YOB, sex, wilayat (or district), governorate, group_id"
            " or UIN",
        )
    try:
        operator = Operator(expression.operator.lower())
    except ValueError:
        raise RejectedError(
            CRITERIA, f"unknown operator {expression.operator!r}: use eq, gt, lt, ge, le or in"
        ) from None
    value = expression.attribute_value
    values = value if isinstance(value, list) else [] if value is None else [value]
    if operator is Operator.IN and not values:
        raise RejectedError(CRITERIA, f"attribute {name!r}: operator 'in' needs a list of 1 to 1000 values")
    if operator is not Operator.IN and len(values) != 1:
        raise RejectedError(
            CRITERIA, f"attribute {name!r}: operator {operator.value!r} needs one value (text or number)"
        )
    field = FIELDS[name]
    return Condition(field, operator, tuple(_value(field, v, name) for v in values))


def _value(field: Field, value: str | int, name: str) -> str | int | date:
    if field is Field.BIRTH_DATE:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise RejectedError(CRITERIA, f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    if field is Field.BIRTH_YEAR:
        text = str(value)
        if not text.isdigit() or not 1 <= int(text) <= 9999:
            raise RejectedError(CRITERIA, f"YOB: {value!r} is not a year")
        return int(text)
    text = str(value)[:64]
    return SEXES.get(text.lower(), text) if field is Field.SEX else text
