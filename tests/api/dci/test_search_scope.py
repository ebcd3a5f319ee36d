"""What a search request asks of this registry that it does not answer is rejected on its own, never
ignored (issue 22): another registry type, records other than persons (`response_entity` Group), an
order other than the civil number's (`sort`); the other requests of the message are answered. The
answers stay valid against the spec. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.dci.support import SYNC_ANSWER, by_civil_number, errors, request


def _answered(world: World, **criteria: Any) -> dict[str, Any]:
    body = request(by_civil_number("1") | criteria, by_civil_number("1"))
    answer = world.client.post("/registry/sync/search", headers=world.headers("partner"), json=body)
    assert answer.status_code == 200 and errors(*SYNC_ANSWER, document=answer.json()) == [], answer.text
    first, second = answer.json()["message"]["search_response"]
    assert second["status"] == "succ", second  # the other request is answered
    return dict(first)


@pytest.mark.parametrize(
    ("criteria", "code", "said"),
    [
        ({"reg_type": "ns:org:RegistryType:Civil"}, "rjct.search_criteria.invalid", "this is the social registry"),
        ({"reg_type": "ocrvs:registry_type:birth"}, "rjct.search_criteria.invalid", "reg_type 'ocrvs:registry_type"),
        ({"response_entity": "Group"}, "rjct.search_criteria.invalid", "answers person records"),
        ({"response_entity": 7}, "rjct.search_criteria.invalid", "response_entity '7'"),
        ({"sort": [{"attribute_name": "birth_date", "sort_order": "desc"}]}, "rjct.sort.invalid", "civil number only"),
        ({"sort": [{"attribute_name": "UIN", "sort_order": "desc"}]}, "rjct.sort.invalid", "civil number only"),
        ({"sort": "UIN"}, "rjct.sort.invalid", "civil number only"),
    ],
)
def test_what_this_registry_does_not_answer_is_rejected(
    world: World, criteria: dict[str, Any], code: str, said: str
) -> None:
    item = _answered(world, **criteria)
    assert item["status"] == "rjct" and item["status_reason_code"] == code, item
    assert said in item["status_reason_message"], item


@pytest.mark.parametrize(
    "criteria",
    [
        {"reg_type": "ns:org:RegistryType:Social"},
        {"response_entity": "Person"},
        {"response_entity": "spdci:SR_Person"},
        {"sort": [{"attribute_name": "UIN", "sort_order": "asc"}]},
        {"sort": []},
    ],
)
def test_what_it_answers_is_answered(world: World, criteria: dict[str, Any]) -> None:
    assert _answered(world, **criteria)["status"] == "succ"
