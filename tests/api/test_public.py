"""`/public/statistics` from the outside: no login, only aggregates (no person-level field or value
ever), cacheable by anyone, open-data CSV that parses, clear errors for bad parameters."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from himaya.api.app import create_app
from himaya.api.guard import RequestGuard
from himaya.api.security import TokenSettings
from himaya.bootstrap import payroll as store
from himaya.core.periods import Period
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.api.conftest import KEY, _url

QUERY = "from=2026-01&to=2026-02"
PERSON_FIELDS = ("civil_number", "person_id", "given_name", "family_name", "iban", "mobile", "birth_date", "name")


@dataclass
class Served:
    client: TestClient
    people: pl.DataFrame


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def enrolled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The service on 600 synthetic persons enrolled for January and February (no user: nobody logs in)."""
    urls = _url(request.param, tmp_path_factory.mktemp("public"))
    engine = connect(next(urls))
    upgrade(engine)
    pack = load_pack()
    people = validate_table(
        for_file(generate(SynthRequest(persons=600, seed=21)).people, "parquet"), pack.registry, source="synthetic"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    for month in (1, 2):
        store.sync_enrollments(engine, pack, Period(2026, month), actor="officer", today=date(2026, month, 1))
    yield Served(TestClient(create_app(engine, tokens=TokenSettings(key=KEY))), people)
    engine.dispose()
    for _ in urls:
        pass


def test_anyone_reads_the_statistics_without_logging_in(enrolled: Served) -> None:
    response = enrolled.client.get(f"/public/statistics?{QUERY}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-01", "2026-02")
    assert body["rules"] == {"threshold": 10, "rounding_omr": 1000}
    rows = body["rows"]
    assert {r["month"] for r in rows} == {"2026-01", "2026-02"}
    assert all(r["beneficiaries"] is None or r["beneficiaries"] == 0 or r["beneficiaries"] >= 10 for r in rows)
    assert any(r["suppressed"] for r in rows) and any(r["beneficiaries"] for r in rows)
    assert [t["month"] for t in body["trend"]] == ["2026-01", "2026-02"]
    names = {g["code"]: g["ar"] for g in body["governorates"]}
    assert names["Muscat"] == "مسقط" and names["all"] == "جميع المحافظات"


def test_no_person_level_field_or_value_ever_appears(enrolled: Served) -> None:
    people = enrolled.people
    secrets = [str(v) for c in ("person_id", "given_name_en", "given_name_ar", "family_name_ar") for v in people[c]]
    secrets += [v for v in people["iban"] if v] + [v for v in people["mobile"] if v]
    for path in (f"/public/statistics?{QUERY}", f"/public/statistics.csv?{QUERY}", "/public/statistics"):
        text = enrolled.client.get(path).text
        words = set(re.findall(r"\w+", text))  # whole words: the governorate الشرقية holds the name رقية
        leaked = [s for s in secrets if s and s in words]
        assert not leaked, (path, leaked[:5])
        assert not [f for f in PERSON_FIELDS if f in text], path
    fields = set(enrolled.client.get(f"/public/statistics?{QUERY}").json()["rows"][0])
    assert fields == {"month", "programme", "governorate", "beneficiaries", "spending_omr", "suppressed"}


def test_the_csv_parses_with_names_in_both_languages(enrolled: Served) -> None:
    response = enrolled.client.get(f"/public/statistics.csv?{QUERY}&programme=child&programme=all")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="himaya-statistics-2026-01-2026-02.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == [
        "month", "programme", "programme_en", "programme_ar", "governorate", "governorate_en", "governorate_ar",
        "beneficiaries", "spending_omr", "suppressed",
    ]  # fmt: skip
    assert {r["programme"] for r in rows} == {"child", "all"}
    child = next(r for r in rows if r["programme"] == "child")
    assert (child["programme_en"], child["programme_ar"]) == ("Child benefit", "منفعة الطفولة")
    for row in rows:
        assert row["suppressed"] in ("true", "false")
        if row["suppressed"] == "true":
            assert row["beneficiaries"] == row["spending_omr"] == ""
        else:
            assert int(row["beneficiaries"]) == 0 or int(row["beneficiaries"]) >= 10


def test_the_answers_may_be_cached_and_others_not(enrolled: Served) -> None:
    response = enrolled.client.get(f"/public/statistics?{QUERY}")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["access-control-allow-origin"] == "*"
    again = enrolled.client.get(f"/public/statistics?{QUERY}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    csv_answer = enrolled.client.get(f"/public/statistics.csv?{QUERY}")
    assert csv_answer.headers["cache-control"] == "public, max-age=300"
    assert csv_answer.headers["etag"] != response.headers["etag"]
    assert enrolled.client.get("/public/statistics?from=2026-13").headers["cache-control"] == "no-store"
    private = enrolled.client.get("/parameters")  # refused without a token, and never kept
    assert private.status_code == 401 and private.headers["cache-control"] == "no-store"


def test_a_filter_keeps_what_is_hidden(enrolled: Served) -> None:
    everything = enrolled.client.get(f"/public/statistics?{QUERY}").json()["rows"]
    muscat = enrolled.client.get(f"/public/statistics?{QUERY}&governorate=Muscat").json()["rows"]
    assert muscat == [r for r in everything if r["governorate"] == "Muscat"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-1", "from: period '2026-1' is not a month like 2026-01 (YYYY-MM)"),
        ("from=2026-03&to=2026-01", "from 2026-03 is after to 2026-01"),
        ("from=2021-01&to=2026-01", "from 2021-01 is before 2024-01"),
        ("from=2024-01&to=2029-01", "to 2029-01 is after the current month"),
        ("programme=pension", "programme 'pension' is not one of: all, child, elderly"),
        ("governorate=Narnia", "governorate 'Narnia' is not one of: all, Muscat"),
        (f"from={'9' * 40}", "query.from: String should have at most 16 characters"),
    ],
)
def test_bad_parameters_get_clear_errors(enrolled: Served, query: str, message: str) -> None:
    response = enrolled.client.get(f"/public/statistics?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert message in response.json()["error"]["message"]
    assert enrolled.client.get(f"/public/statistics.csv?{query}").status_code == 422


def test_only_the_public_paths_keep_their_own_cache_control() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"cache-control", b"public, max-age=300"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    client = TestClient(RequestGuard(app, cacheable={"/open"}))  # type: ignore[arg-type]
    opened, other = client.get("/open"), client.get("/personal")
    assert opened.headers.get_list("cache-control") == ["public, max-age=300"]
    assert other.headers.get_list("cache-control") == ["no-store"]  # a route cannot opt out elsewhere
    for answer in (opened, other):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
