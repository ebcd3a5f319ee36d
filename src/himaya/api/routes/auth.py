"""`/auth`: log in (password, client credentials), refresh, log out, who am I; unlock a user.

Each endpoint parses its form, calls one action of `himaya.access.actions` and answers a typed model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from pydantic import BaseModel

from himaya import bootstrap
from himaya.access import actions
from himaya.access.model import LoginRefusedError, RefreshRefusedError, Session, ThrottledError, UserKind
from himaya.api.errors import ApiError
from himaya.api.security import TokenSettings, current_principal, issue_access, require
from himaya.core.access import Permission, Principal

router = APIRouter(prefix="/auth", tags=["auth"])


class Tokens(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds
    refresh_token: str | None = None  # people only; spent at its first use


class Status(BaseModel):
    status: str


class Me(BaseModel):
    username: str
    kind: str
    roles: list[str]
    permissions: list[str]
    branches: list[str]


class Unlocked(BaseModel):
    username: str
    failures_cleared: int


def _address(request: Request) -> str:
    # The peer as the server sees it: X-Forwarded-For is believed only from the proxies named in
    # HIMAYA_TRUSTED_PROXIES (`himaya serve` tells uvicorn), so a client cannot choose its address.
    return request.client.host if request.client else "unknown"


def _tokens(settings: TokenSettings, session: Session) -> Tokens:
    return Tokens(
        access_token=issue_access(settings, session.username, session.token_version),
        expires_in=int(settings.access_lifetime.total_seconds()),
        refresh_token=session.refresh_token,
    )


@router.post(
    "/token",
    summary="Log in or refresh: OAuth2 password, refresh_token or client_credentials grant",
    response_model_exclude_none=True,
)
def token(
    request: Request,
    grant_type: Annotated[str, Form(pattern="^(password|refresh_token|client_credentials)$")],
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> Tokens:
    settings: TokenSettings = request.app.state.tokens
    uow = bootstrap.unit_of_work(request.app.state.engine)
    if grant_type == "refresh_token":
        if not refresh_token:
            raise ApiError(400, "invalid_request", "refresh_token is required for this grant")
        try:
            return _tokens(settings, actions.refresh(uow, refresh_token, lifetime=settings.refresh_lifetime))
        except RefreshRefusedError as error:
            raise ApiError(401, "invalid_grant", str(error)) from None
    person = grant_type == "password"
    name, secret = (username, password) if person else (client_id, client_secret)
    return log_in(request, name, secret, UserKind.PERSON if person else UserKind.CLIENT)


def log_in(request: Request, name: str | None, secret: str | None, kind: UserKind) -> Tokens:
    """A password or client-credentials login (`access.actions.login`: the throttle, the audit
    entry); also the DCI token endpoint's (`routes/trust.py`)."""
    settings: TokenSettings = request.app.state.tokens
    if not name or not secret:
        wanted = "username and password" if kind is UserKind.PERSON else "client_id and client_secret"
        raise ApiError(400, "invalid_request", f"{wanted} are required for this grant")
    try:
        session = actions.login(
            bootstrap.unit_of_work(request.app.state.engine),
            name=name,
            secret=secret,
            kind=kind,
            address=_address(request),
            verify=bootstrap.verify_password,
            throttle=settings.throttle,
            refresh_lifetime=settings.refresh_lifetime,
        )
    except ThrottledError as error:
        raise ApiError(429, error.error_code, str(error), headers={"Retry-After": str(error.seconds)}) from None
    except LoginRefusedError as error:
        raise ApiError(401, error.error_code, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    return _tokens(settings, session)


@router.post("/logout", summary="End every session of the acting user")
def logout(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Status:
    actions.logout(bootstrap.unit_of_work(request.app.state.engine), actor=principal.username)
    return Status(status="logged out")


@router.get("/me", summary="The acting user: roles, permissions and branches")
def me(principal: Annotated[Principal, Depends(current_principal)]) -> Me:
    return Me(
        username=principal.username,
        kind=principal.kind,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
        branches=[str(s) for s in principal.scopes],
    )


@router.post("/users/{username}/unlock", summary="Forget a user's failed logins (admins)")
def unlock(
    request: Request,
    username: Annotated[str, Path(max_length=64)],
    principal: Annotated[Principal, Depends(require(Permission.USERS_MANAGE))],
) -> Unlocked:
    cleared = actions.unlock(bootstrap.unit_of_work(request.app.state.engine), username, actor=principal.username)
    return Unlocked(username=username, failures_cleared=cleared)
