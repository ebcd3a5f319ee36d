"""Log in, log out, and the reader's language and digits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from himaya import bootstrap
from himaya.access import actions
from himaya.access.model import LoginRefusedError, ThrottledError, UserKind
from himaya.core.access import Principal
from himaya.web import session
from himaya.web.i18n import DIGITS, LANGUAGES
from himaya.web.pages import (
    MACHINE_ROLES,
    Visitor,
    forget_session,
    local,
    officer,
    posted,
    redirect,
    render,
    secure,
    set_session,
    visitor,
)

router = APIRouter(prefix="/office", include_in_schema=False)
YEAR = 365 * 24 * 3600


@router.get("/login")
def login_page(request: Request, seen: Annotated[Visitor, Depends(visitor)], next: str | None = None) -> Response:
    if seen.principal is not None:
        return redirect(local(next))
    return render(request, seen, "login.html", next=local(next), error=None, username="")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login")
def login(
    request: Request, seen: Annotated[Visitor, Depends(visitor)], form: Annotated[Mapping[str, str], Depends(posted)]
) -> Response:
    """The API's login action (same throttle, same audit), for people only: a partner system or the
    civil registry has no session here."""
    name, secret = form.get("username", "")[:64].strip(), form.get("password", "")[:256]
    back = local(form.get("next"))
    tokens = request.app.state.tokens
    error, status, wait = None, 401, None
    try:
        if not name or not secret:
            raise LoginRefusedError("missing")
        found = actions.login(
            bootstrap.unit_of_work(request.app.state.engine),
            name=name,
            secret=secret,
            kind=UserKind.PERSON,
            address=_address(request),
            verify=bootstrap.verify_password,
            throttle=tokens.throttle,
            refresh_lifetime=tokens.refresh_lifetime,
            refresh=False,  # the session cookie is the web's token: an API refresh token would lie unused
        )
    except ThrottledError as refused:
        status, wait = 429, refused.seconds
        error = seen._("Too many failed logins: try again in {seconds} seconds.").format(seconds=refused.seconds)
    except LoginRefusedError:
        error = seen._("The user name or the password is wrong.")
    if error is None:
        principal: Principal | None = request.app.state.principals.get(
            request.app.state.engine, found.username, found.token_version
        )
        if principal is None or principal.roles & MACHINE_ROLES:
            error = seen._("This account is a partner system's: it cannot use the front office.")
    if error is not None:
        page = render(request, seen, "login.html", status=status, next=back, error=error, username=name)
        if wait is not None:  # as the API's 429: when to try again, for a client that reads headers
            page.headers["Retry-After"] = str(wait)
        return page
    response = redirect(back)
    set_session(request, response, found.username, found.token_version, started=None)
    response.set_cookie(
        session.CSRF, session.new_secret(), httponly=True, samesite="strict", secure=secure(request), path="/"
    )
    return response


@router.post("/logout")
def logout(
    request: Request, seen: Annotated[Visitor, Depends(officer)], _: Annotated[Mapping[str, str], Depends(posted)]
) -> Response:
    """Ends every session and token of the user (the API's logout action)."""
    actions.logout(bootstrap.unit_of_work(request.app.state.engine), actor=seen.user.username)
    response = redirect("/office/login")
    forget_session(request, response)
    return response


@router.post("/settings")
def settings(request: Request, form: Annotated[Mapping[str, str], Depends(posted)]) -> Response:
    """The reader's language and digits, kept in cookies (they hold no secret)."""
    response = redirect(local(form.get("next")))
    language, digits = form.get("language"), form.get("digits")
    options = {"max_age": YEAR, "httponly": True, "samesite": "strict", "secure": secure(request), "path": "/"}
    if language in LANGUAGES:
        response.set_cookie(session.LANGUAGE, language, **options)  # type: ignore[arg-type]
    if digits in DIGITS:
        response.set_cookie(session.DIGITS, digits, **options)  # type: ignore[arg-type]
    return response
