"""The payroll's answers in the OpenAPI document: each endpoint names its response schema, the run's
states, the lines' kinds and the changes of the diff are enumerated, and every amount is decimal text
in the currency each answer names beside it (OMR with 3 decimals, IQD whole dinars: a client can
validate what it receives against the document)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

from himaya.api.routes import payroll
from himaya.api.routes.payroll_models import AMOUNT_PATTERN
from himaya.payroll.model import LineKind, RunState


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = FastAPI()
    app.include_router(payroll.router)
    return app.openapi()


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]


def _property(document: dict[str, Any], name: str, field: str) -> dict[str, Any]:
    found = _schema(document, name)["properties"][field]
    options = found.get("anyOf", [found])
    typed = [o for o in options if o.get("type") != "null"]
    assert len(typed) == 1, (name, field, found)
    option = typed[0]
    return _schema(document, option["$ref"].rsplit("/", 1)[1]) if "$ref" in option else option


def test_every_payroll_endpoint_answers_a_named_schema(document: dict[str, Any]) -> None:
    operations = [(path, verb, op) for path, ops in document["paths"].items() for verb, op in ops.items()]
    assert len(operations) == 10  # export/again among them
    for path, verb, operation in operations:
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in schema, (verb, path, schema)
        assert _schema(document, schema["$ref"].rsplit("/", 1)[1])["properties"], (verb, path)


@pytest.mark.parametrize(
    ("model", "field", "values"),
    [
        ("RunOut", "state", {s.value for s in RunState}),
        ("RunStatus", "state", {s.value for s in RunState}),
        ("DiffRow", "change", {"new", "stopped", "changed"}),
        ("HeldRow", "kind", {k.value for k in LineKind}),
    ],
)
def test_states_kinds_and_changes_are_enumerated(
    document: dict[str, Any], model: str, field: str, values: set[str]
) -> None:
    assert set(_property(document, model, field).get("enum", ())) == values


AMOUNTS = [
    ("RunOut", "amount"),
    ("RunOut", "held"),
    ("RunOut", "recovered"),
    ("RunStatus", "payable"),
    ("RunStatus", "held"),
    ("RunStatus", "paid_amount"),
    ("ReportRow", "amount"),
    ("ReportRow", "recovered"),
    ("DiffRow", "before"),
    ("DiffRow", "now"),
    ("HeldRow", "amount"),
    ("HeldOut", "amount"),
]


@pytest.mark.parametrize(("model", "field"), AMOUNTS)
def test_every_amount_is_decimal_text(document: dict[str, Any], model: str, field: str) -> None:
    found = _property(document, model, field)
    assert found["type"] == "string"
    assert found.get("pattern") == AMOUNT_PATTERN
    assert re.fullmatch(AMOUNT_PATTERN, "257.148") and re.fullmatch(AMOUNT_PATTERN, "125000")
    assert not re.fullmatch(AMOUNT_PATTERN, "257.") and not re.fullmatch(AMOUNT_PATTERN, "1e5")


@pytest.mark.parametrize("model", ["RunOut", "StatusOut", "ReportOut", "DiffOut", "HeldOut"])
def test_every_answer_with_amounts_names_their_currency(document: dict[str, Any], model: str) -> None:
    """An answer with amounts says which currency they are in (the registry's pack's) and its decimals."""
    assert {"currency", "decimals"} <= set(_schema(document, model)["required"])
    assert _property(document, model, "currency")["pattern"] == "^[A-Z]{3}$"
