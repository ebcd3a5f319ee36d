"""What the DCI tests share: the spec's validators (read from ../shared, which a checkout may lack:
the tests that need it skip with the reason, and fail under CI=true), requests, the partner's
onboarding."""

from __future__ import annotations

import os
import uuid
from functools import cache
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from tests.conftest import SHARED

# ../shared beside the repository; HIMAYA_SHARED points elsewhere (tests/conftest.py).
EXTERNAL = SHARED / "external"
SPEC_FILE = EXTERNAL / "openspp-spdci-compliance/spec/social_api_v1.0.0.yaml"
CATALOGUE = EXTERNAL / "openspp-spdci-compliance"
SENDER = "ministry-of-labour"  # the partner's registered sender id (tests/api/test_dci.py onboards it)


def need_shared() -> None:
    """Skip (fail under CI=true) when ../shared/external is not there."""
    if SPEC_FILE.exists():
        return
    reason = f"the DCI spec is not at {SPEC_FILE} (../shared is absent from this checkout)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {reason}")
    pytest.skip(reason)


@cache
def _spec() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8")))


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def errors(*parts: str, document: Any) -> list[str]:
    """What is wrong with `document` against one schema of the spec (its references resolved in the
    whole document)."""
    need_shared()
    validator = OAS30Validator({**_spec(), "$ref": _pointer(*parts)})
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _answer(path: str) -> tuple[str, ...]:
    return ("paths", path, "post", "responses", "default", "content", "application/json", "schema")


def _request(path: str) -> tuple[str, ...]:
    return ("paths", path, "post", "requestBody", "content", "application/json", "schema")


SYNC_ANSWER = _answer("/registry/sync/search")
SYNC_REQUEST = _request("/registry/sync/search")
TXN_ANSWER = _answer("/registry/sync/txn/status")
TXN_REQUEST = _request("/registry/sync/txn/status")
ACK = ("components", "responses", "Response", "content", "application/json", "schema")
SEARCH_RESPONSE = ("components", "schemas", "SearchResponse")


def header(action: str, count: int, sender_uri: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {
        "version": "1.0.0",
        "message_id": f"msg-{uuid.uuid4().hex}",
        "message_ts": "2026-01-05T09:00:00+04:00",
        "action": action,
        "sender_id": SENDER,
        "total_count": count,
        "is_msg_encrypted": False,
    }
    if sender_uri:
        made["sender_uri"] = sender_uri
    return made


def request(*criteria: dict[str, Any], sender_uri: str | None = None) -> dict[str, Any]:
    return {
        "header": header("search", len(criteria), sender_uri),
        "message": {
            "transaction_id": f"txn-{uuid.uuid4().hex[:12]}",
            "search_request": [
                {
                    "reference_id": f"ref-{i}",
                    "timestamp": "2026-01-05T09:00:00+04:00",
                    "search_criteria": c,
                    "locale": "eng",
                }
                for i, c in enumerate(criteria)
            ],
        },
    }


def by_civil_number(value: str) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "reg_type": "ns:org:RegistryType:Social",
        "query_type": "idtype-value",
        "query": {"type": "UIN", "value": value},
    }


def txn_status(attribute: str, value: str | list[str], sender_uri: str | None = None) -> dict[str, Any]:
    return {
        "header": header("txn-status", 1, sender_uri),
        "message": {
            "transaction_id": f"txn-{uuid.uuid4().hex[:12]}",
            "txnstatus_request": {
                "reference_id": "status-1",
                "txn_type": "search",
                "attribute_type": attribute,
                "attribute_value": value,
            },
        },
    }


ON_SUBSCRIBE = _request("/registry/on-subscribe")
ON_UNSUBSCRIBE = _request("/registry/on-unsubscribe")
NOTIFY = _request("/registry/notify")
SUBSCRIBE_REQUEST = _request("/registry/subscribe")
UNSUBSCRIBE_REQUEST = _request("/registry/unsubscribe")


def subscribe(
    *filters: dict[str, Any] | list[Any], event: str = "REGISTER", sender_uri: str | None = None, **criteria: Any
) -> dict[str, Any]:
    """A subscribe message: one request per filter (an idtype-value, expression or predicate query)."""
    return {
        "header": header("subscribe", len(filters), sender_uri),
        "message": {
            "transaction_id": f"txn-{uuid.uuid4().hex[:12]}",
            "subscribe_request": [
                {
                    "reference_id": f"sub-ref-{i}",
                    "timestamp": "2026-01-05T09:00:00+04:00",
                    "subscribe_criteria": {
                        "version": "1.0.0",
                        "reg_type": "ns:org:RegistryType:Social",
                        "reg_event_type": event,
                        "filter_type": "predicate" if isinstance(f, list) else "idtype-value",
                        "filter": f,
                        "notify_record_type": "spdci:SR_Person",
                        **criteria,
                    },
                    "locale": "eng",
                }
                for i, f in enumerate(filters)
            ],
        },
    }


def unsubscribe(*codes: str, sender_uri: str | None = None) -> dict[str, Any]:
    return {
        "header": header("unsubscribe", len(codes), sender_uri),
        "message": {
            "transaction_id": f"txn-{uuid.uuid4().hex[:12]}",
            "timestamp": "2026-01-05T09:00:00+04:00",
            "subscription_codes": list(codes),
        },
    }


def in_wilayat(wilayat: str) -> list[dict[str, Any]]:
    """A predicate filter: the people of a wilayat."""
    return [{"seq_num": 1, "expression1": {"attribute_name": "wilayat", "operator": "eq", "attribute_value": wilayat}}]
