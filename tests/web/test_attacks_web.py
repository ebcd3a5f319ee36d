"""The front office attacked from outside: a logged-in user whose roles do not allow a page must
not read through it what the API refuses them."""

from __future__ import annotations

import pytest

from tests.api.conftest import PASSWORD
from tests.web.conftest import Office, log_in

pytestmark = pytest.mark.slow  # a served store on both cores


def _grievance(office: Office, details: str) -> str:
    """A grievance opened through the API by the branch's case worker; its number."""
    api = office.client()
    token = api.post(
        "/auth/token", data={"grant_type": "password", "username": "case_worker", "password": PASSWORD}
    ).json()["access_token"]
    opened = api.post(
        "/cases",
        json={
            "type": "grievance",
            "civil_number": office.inside["person_id"],
            "category": "wrong_amount",
            "form": {"details": details},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert opened.status_code == 201, opened.text
    number: str = opened.json()["number"]
    return number


@pytest.mark.parametrize("user", ["auditor", "finance_officer", "payroll_approver", "policy_analyst"])
def test_a_user_without_case_read_cannot_read_a_case_page(office: Office, user: str) -> None:
    """The API answers these country-wide roles 403 for `GET /cases/{n}`; the page answered 200 with
    the citizen's civil number and the grievance's words."""
    number = _grievance(office, "secret words of the citizen")
    client = office.client()
    log_in(client, user)
    page = client.get(f"/office/cases/{number}")
    assert page.status_code == 403
    assert office.inside["person_id"] not in page.text and "secret words" not in page.text
