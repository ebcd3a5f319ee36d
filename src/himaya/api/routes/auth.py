"""`/auth`: log in (password, client credentials), refresh, log out, who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request

from himaya import bootstrap
from himaya.api.errors import ApiError
from himaya.api.security import current_principal, issue_access
from himaya.core.access import Principal
from himaya.core.clock import now
from himaya.db import access, audit

router = APIRouter(prefix="/auth", tags=["auth"])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttled(request: Request, username: str) -> None:
    settings = request.app.state.tokens
    with request.app.state.engine.connect() as connection:
        by_name, by_address = access.failures_since(
            connection, username=username, address=_address(request), since=now() - settings.window
        )
    if by_name >= settings.max_failures_per_user or by_address >= settings.max_failures_per_address:
        seconds = int(settings.window.total_seconds())
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins: try again in {seconds // 60} minutes",
            headers={"Retry-After": str(seconds)},
        )


@router.post("/token", summary="Log in or refresh: OAuth2 password, refresh_token or client_credentials grant")
def token(
    request: Request,
    grant_type: Annotated[str, Form(pattern="^(password|refresh_token|client_credentials)$")],
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> dict[str, Any]:
    state = request.app.state
    settings = state.tokens
    if grant_type == "refresh_token":
        if not refresh_token:
            raise ApiError(400, "invalid_request", "refresh_token is required for this grant")
        with state.engine.begin() as connection:
            refused: access.RefreshRefusedError | None = None
            try:
                user_id, renewed = access.rotate_refresh(connection, refresh_token, lifetime=settings.refresh_lifetime)
            except access.RefreshRefusedError as error:
                refused = error
            else:
                user = access.user_by_id(connection, user_id)
        if refused is not None:  # the replay's revocation above is committed
            raise ApiError(401, "invalid_grant", str(refused))
        if not user["active"]:
            raise ApiError(401, "invalid_grant", "the user is deactivated")
        return _tokens(settings, user["username"], user["token_version"], renewed)
    name, secret, kind = (
        (username, password, "person") if grant_type == "password" else (client_id, client_secret, "client")
    )
    if not name or not secret:
        wanted = "username and password" if kind == "person" else "client_id and client_secret"
        raise ApiError(400, "invalid_request", f"{wanted} are required for this grant")
    _throttled(request, name)
    with state.engine.connect() as connection:
        record = access.load_user(connection, name)
    good = bootstrap.verify_password(record.password_hash if record else None, secret)
    good = good and record is not None and record.active and record.kind == kind
    with state.engine.begin() as connection:
        access.record_attempt(connection, username=name, address=_address(request), succeeded=good)
        if not good:
            refresh = None
        else:
            assert record is not None
            audit.record(
                connection,
                [audit.Change("user.login", f"user:{name}", None, {"grant": grant_type})],
                actor=name,
                request_id=request.state.request_id,
            )
            refresh = (
                access.issue_refresh(connection, record.id, lifetime=settings.refresh_lifetime)
                if kind == "person"
                else None
            )
    if not good:
        raise ApiError(
            401, "invalid_credentials", "wrong user name or password", headers={"WWW-Authenticate": "Bearer"}
        )
    assert record is not None
    return _tokens(settings, record.username, record.token_version, refresh)


def _tokens(settings: Any, username: str, version: int, refresh: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "access_token": issue_access(settings, username, version),
        "token_type": "bearer",
        "expires_in": int(settings.access_lifetime.total_seconds()),
    }
    if refresh is not None:
        answer["refresh_token"] = refresh
    return answer


@router.post("/logout", summary="End every session of the acting user")
def logout(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> dict[str, str]:
    access.logout(request.app.state.engine, principal.username, request_id=request.state.request_id)
    return {"status": "logged out"}


@router.get("/me", summary="The acting user: roles, permissions and branches")
def me(principal: Annotated[Principal, Depends(current_principal)]) -> dict[str, Any]:
    return {
        "username": principal.username,
        "kind": principal.kind,
        "roles": sorted(principal.roles),
        "permissions": sorted(principal.permissions),
        "branches": [str(s) for s in principal.scopes],
    }
