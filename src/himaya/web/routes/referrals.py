"""A referral's consent from the front office: the person (or their guardian) agrees, at the counter
or on the phone, and the referral goes to its provider, in one step
(`cases.referral_actions.confirm`, as the API's `POST /referrals/{n}/consent`). Never sent without it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.cases import referral_actions
from himaya.cases.model import Consent
from himaya.core.errors import HimayaError
from himaya.web.pages import PageError, Visitor, explain, form_version, officer, posted, redirect
from himaya.web.routes.cases import NUMBER, show_case

router = APIRouter(prefix="/office/cases", include_in_schema=False)
CHANNELS = ("in_person", "phone", "written")  # the counter's ways; "web" is the person's own
MAX_NAME = 200  # characters of who consented, as the API's


@router.post("/{number}/consent")
def consent(
    request: Request,
    seen: Annotated[Visitor, Depends(officer)],
    form: Annotated[Mapping[str, str], Depends(posted)],
    number: str,
) -> Response:
    """Record who consented and how, and send the referral to the provider chosen."""
    if not NUMBER.match(number):
        raise PageError(404, seen._("No such record in your branches."))
    given_by, channel = form.get("given_by", "").strip(), form.get("channel", "")
    if not given_by or len(given_by) > MAX_NAME or channel not in CHANNELS:  # refused, never cut to fit
        return show_case(request, seen, number, seen._("Say who consented, and how."), 422)
    version = form.get("version", "")
    pack = request.app.state.pack
    try:
        referral_actions.confirm(
            bootstrap.unit_of_work(request.app.state.engine), pack.cases, pack.services, number,
            Consent(given_by, channel, None), expected_version=form_version(seen, version),
            principal=seen.user, provider=form.get("provider") or None,
        )  # fmt: skip
    except HimayaError as error:
        status, message = explain(seen, error)
        if status == 404:
            raise PageError(status, message) from None
        return show_case(request, seen, number, message, status)
    return redirect(f"/office/cases/{number}")
