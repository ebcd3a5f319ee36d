"""The DCI query translator, without a database: whatever a partner sends as search criteria, it
becomes a neutral filter that compiles to SQL, or a DCI rejection — never another exception (which
the service would answer with a 500)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from himaya.adapters.dci.envelope import SearchCriteria, SearchItem
from himaya.adapters.dci.query import RejectedError, criteria_filter, plan
from himaya.db.stores.dci import condition
from himaya.registry.query import AllOf, AnyOf, Condition, Field, Not, Operator

NAMES = st.sampled_from(["wilayat", "YOB", "dob", "sex", "UIN", "group_id", "governorate", "salary", "$and", "$or"])
SCALARS = st.one_of(st.text(max_size=12), st.integers(-(10**20), 10**20), st.booleans(), st.none(), st.floats())
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(NAMES, st.sampled_from(["$eq", "$lt", "$in", "$not", "$gte"])), inner, max_size=4),
    ),
    max_leaves=20,
)
OPERATORS = st.sampled_from(["eq", "lt", "gt", "ge", "le", "in", "like", ""])
EXPRESSION = st.fixed_dictionaries(
    {
        "attribute_name": NAMES,
        "operator": OPERATORS,
        "attribute_value": st.one_of(SCALARS, st.lists(SCALARS, max_size=3)),
    }
)
PREDICATE = st.fixed_dictionaries(
    {"seq_num": st.one_of(st.integers(), st.text(max_size=3), st.none()), "expression1": EXPRESSION},
    optional={"condition": st.sampled_from(["and", "or", "not", "xor"]), "expression2": EXPRESSION},
)
CRITERIA = st.one_of(
    st.fixed_dictionaries({"query_type": st.just("predicate"), "query": st.lists(PREDICATE, max_size=25)}),
    st.fixed_dictionaries(
        {
            "query_type": st.just("expression"),
            "query": st.fixed_dictionaries(
                {"type": st.just("expression"), "value": st.fixed_dictionaries({"expression": JSON})}
            ),
        }
    ),
    st.fixed_dictionaries(
        {"query_type": st.sampled_from(["idtype-value", "graphql"]), "query": JSON, "pagination": JSON}
    ),
)


@settings(max_examples=400, deadline=None)
@given(CRITERIA)
def test_any_criteria_become_a_filter_or_a_rejection(criteria: dict[str, Any]) -> None:
    try:
        parsed = SearchCriteria.model_validate(criteria)
    except ValidationError:
        return  # the whole message is refused 400 by the route
    try:
        found, page = criteria_filter(parsed)
    except RejectedError as rejected:
        assert rejected.reason.startswith("rjct.")
        return
    assert page.size >= 1 and page.number >= 1
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        condition(found).compile(dialect=dialect)


def _criteria(query: Any) -> SearchCriteria:
    return SearchCriteria.model_validate(
        {"query_type": "expression", "query": {"type": "expression", "value": {"expression": query}}}
    )


def test_an_expression_query_becomes_the_neutral_filter() -> None:
    query = {"collection": "Person", "query": {"$or": [{"sex": "male"}, {"$not": {"YOB": {"$gte": 1950}}}]}}
    found, _ = criteria_filter(_criteria(query))
    assert found == AnyOf(
        (Condition(Field.SEX, Operator.EQ, ("M",)), Not(Condition(Field.BIRTH_YEAR, Operator.GE, (1950,))))
    )
    both = {"query": {"dob": {"$gt": "1990-01-01", "$lt": "2000-01-01"}}}
    assert criteria_filter(_criteria(both))[0] == AllOf(
        (
            Condition(Field.BIRTH_DATE, Operator.GT, (date(1990, 1, 1),)),
            Condition(Field.BIRTH_DATE, Operator.LT, (date(2000, 1, 1),)),
        )
    )


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"collection": "Group", "query": {"sex": "male"}}, "persons"),
        ({"query": {"$and": [{"sex": "male"}] * 60}}, "at most 50"),
        ({"query": {"sex": {"$regex": "."}}}, "operator '$regex'"),
        ({"query": {"wilayat": {"$eq": []}}}, "needs one value"),
    ],
)
def test_expression_queries_rejected_with_the_reason(query: dict[str, Any], says: str) -> None:
    with pytest.raises(RejectedError, match=says.replace("$", r"\$")):
        criteria_filter(_criteria(query))


def test_a_reference_id_repeated_in_one_message_is_rejected_not_answered_twice() -> None:
    """An outside attack sent two search requests with one reference_id: both were answered `succ`,
    and a partner's look-up by reference_id could not tell them apart."""
    criteria = {"query_type": "idtype-value", "query": {"type": "UIN", "value": "71722468"}}
    at = "2026-11-30T10:00:00+04:00"
    items = [
        SearchItem.model_validate({"reference_id": r, "timestamp": at, "search_criteria": criteria}) for r in "aba"
    ]
    planned = plan(items, max_requests=10)
    assert [p.rejection is None for p in planned] == [True, True, False]
    assert planned[2].rejection is not None and planned[2].rejection.reason == "rjct.reference_id.duplicate"
