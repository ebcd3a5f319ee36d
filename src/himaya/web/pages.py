"""Rendering a page for the reader: the templates in their language, the acting user (from the
session cookie, checked against the store at every request), the CSRF token, and the error pages.
An error of an action becomes a page in the reader's language: a record of another branch answers
exactly as a missing one (the actions raise the same `NotFoundError` for both)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from himaya.bootstrap.access import acting_principal
from himaya.cases.applications import NotEntitledError
from himaya.cases.rules import MakerCheckerError, NotPreparedError
from himaya.core.access import Permission, Principal
from himaya.core.errors import ConflictError, ForbiddenError, HimayaError, InvalidInputError, NotFoundError
from himaya.web import session
from himaya.web.i18n import Locale, translations

MACHINE_ROLES = frozenset({"partner", "civil_registry", "employer"})  # systems, not people: no web session


class PageError(Exception):
    """Answer with the error page: `status` and a message already in the reader's language."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class LoginNeededError(Exception):
    """No current session: to the login page."""


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("himaya.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # the templates are the installed package's: no file checked at every page
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def locale(request: Request) -> Locale:
    """The reader's language and digits (cookies); amounts in the registry's pack's currency, months
    named as in its country."""
    pack = request.app.state.pack
    cookies = request.cookies
    return Locale.of(cookies.get(session.LANGUAGE), cookies.get(session.DIGITS), pack.currency, pack.country)


def key(request: Request) -> str:
    value: str = request.app.state.tokens.key
    return value


@dataclass(frozen=True)
class Visitor:
    """Who reads the page, and in which language."""

    locale: Locale
    principal: Principal | None

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise LoginNeededError
        return self.principal

    def _(self, message: str) -> str:
        return self.locale.gettext(message)


def principal_of(request: Request) -> Principal | None:
    """The user of the session cookie, checked against the store now (active, same token version),
    like a bearer token of the API: a logout, a new password or a deactivation ends the session."""
    found = session.read(key(request), request.cookies.get(session.SESSION))
    if found is None:
        return None
    state = request.app.state
    principal = acting_principal(state.engine, state.principals, found.username, found.version)
    if principal is None or principal.kind != "person" or principal.roles & MACHINE_ROLES:
        return None
    request.state.actor = principal.username
    if found.stale(time.time()):  # the page answers with a renewed cookie (`render`): the officer is at work
        request.state.renewed_session = found
    return principal


def idle_seconds(request: Request) -> int:
    return int(request.app.state.settings.web_idle_minutes) * 60


def set_session(request: Request, response: Response, username: str, version: int, started: int | None) -> None:
    """Give the browser a session cookie for `username` (a new login when `started` is None)."""
    value = session.issue(key(request), username, version, idle=idle_seconds(request), started=started)
    begun = session.read(key(request), value)
    assert begun is not None
    response.set_cookie(
        session.SESSION,
        value,
        max_age=session.max_age(begun.started),
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
    )


def visitor(request: Request) -> Visitor:
    """A dependency: the reader (logged in or not)."""
    return Visitor(locale(request), principal_of(request))


def officer(request: Request) -> Visitor:
    """A dependency: the reader, who must be logged in (else to the login page)."""
    seen = visitor(request)
    seen.user  # noqa: B018  (raises LoginNeededError)
    return seen


def _csrf_secret(request: Request) -> tuple[str, bool]:
    secret = request.cookies.get(session.CSRF)
    return (secret, False) if secret and len(secret) <= 128 else (session.new_secret(), True)


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(request: Request, seen: Visitor, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page in the reader's language, with the CSRF token its forms carry."""
    secret, fresh = _csrf_secret(request)
    loc = seen.locale
    page = environment(loc.language).get_template(template)
    pack = request.app.state.pack
    names = pack.code_names

    def name_of(kind: str, code: str | None) -> str:
        """A code of the pack (a programme, a relationship; a `place`: one of the pack's places, a
        wilayat or a district) by its name in the reader's language."""
        found = names.get(pack.place_column if kind == "place" else kind, {}).get(code)
        return str(found.in_(loc.language)) if found is not None else (code or "")

    # What the pack calls a person's number and a place ("Civil number", "Wilayat"; Iraq's "National
    # ID number", "District"), in the reader's language: the pages' headings say them.
    number = pack.person_number.in_(loc.language)
    words = {
        "number": number,
        "a_number": number[:1].lower() + number[1:],  # within a sentence: "civil number"
        "numbers": pack.person_numbers.in_(loc.language),
        "place": pack.place_name.in_(loc.language),
    }

    html = page.render(
        loc=loc,
        user=seen.principal,
        csrf=session.csrf_token(
            key(request), secret, session.binding(key(request), request.cookies.get(session.SESSION))
        ),
        here=request.url.path,
        Permission=Permission,
        name_of=name_of,
        words=words,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    renewed = getattr(request.state, "renewed_session", None)
    if renewed is not None:
        set_session(request, response, renewed.username, renewed.version, renewed.started)
    if fresh:
        response.set_cookie(session.CSRF, secret, httponly=True, samesite="strict", secure=secure(request), path="/")
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    seen = Visitor(locale(request), principal_of(request))
    _ = seen._
    titles = {404: _("Not found"), 403: _("Not allowed"), 409: _("Cannot be done now"), 422: _("Not valid")}
    title = titles.get(status) or _("Something went wrong")
    return render(request, seen, "error.html", status=status, title=title, message=message)


def explain(seen: Visitor, error: HimayaError) -> tuple[int, str]:
    """An action's error as a status and a sentence in the reader's language."""
    _ = seen._
    if isinstance(error, NotFoundError):
        return 404, _("No such record in your branches.")
    if isinstance(error, MakerCheckerError):
        return 403, _(
            "You prepared this decision. A decision that changes payments must be taken by another user"
            " (maker-checker)."
        )
    if isinstance(error, NotEntitledError):
        conditions = error.verdict.reason(seen.locale.language)
        return 409, _("The rules do not support this approval: {conditions}.").format(conditions=conditions)
    if isinstance(error, NotPreparedError):
        return 409, _("This decision changes payments: it must be prepared by one user before another takes it.")
    if isinstance(error, ForbiddenError):
        return 403, _("Your roles do not allow this.")
    if isinstance(error, ConflictError):
        return 409, _("The record changed or is not in a state that allows this: reload the page and try again.")
    if isinstance(error, InvalidInputError):
        return 422, _("Some of what was entered is not valid.")
    return 400, _("The request could not be done.")


VERSION = re.compile(r"[0-9]{1,18}")
MAX_VERSION = 2_147_483_647  # a record's version is a 32-bit integer, as the API says


def form_version(seen: Visitor, value: str) -> int:
    """The record version a form was read at: a form that carries anything else was not made by
    this site's page (or was damaged), and is refused as invalid (422), not as a conflict."""
    if not VERSION.fullmatch(value) or int(value) > MAX_VERSION:
        raise PageError(422, seen._("The form is damaged (its record version is not a number): reload the page."))
    return int(value)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def local(path: str | None, default: str = "/office/") -> str:
    """A path of the front office to go back to, never another site.

    >>> local("/office/cases"), local("//evil.example/"), local("https://evil.example/"), local("/public")
    ('/office/cases', '/office/', '/office/', '/public')
    """
    if path == "/public":  # the public dashboard's language switch
        return path
    if path and path.startswith("/office") and not path.startswith("//") and "\\" not in path:
        return path
    return default


async def posted(request: Request) -> Mapping[str, str]:
    """A dependency: a POSTed form, refused (403) without its valid CSRF token."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    bound = session.binding(key(request), request.cookies.get(session.SESSION))
    if not session.csrf_ok(key(request), request.cookies.get(session.CSRF), values.get("csrf"), bound):
        raise PageError(403, locale(request).gettext("The form has expired or did not come from this site: try again."))
    return values


def forget_session(request: Request, response: Response) -> None:
    """Clear the session cookie with the flags it was set with (HttpOnly, SameSite=Strict, Secure)."""
    response.delete_cookie(session.SESSION, path="/", httponly=True, samesite="strict", secure=secure(request))


def gone(request: Request) -> Response:
    """The session ended or never was: to the login page, the stale cookie removed."""
    response = redirect("/office/login?" + urlencode({"next": request.url.path}))
    forget_session(request, response)
    return response
