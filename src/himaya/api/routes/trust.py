"""The DCI profiles' trust endpoints: the authorization profile's token endpoint
(`POST /oauth2/client/token`, authz_core v1.0.0: OAuth2 client credentials) and the service's
public keys (`GET /.well-known/jwks.json`, jwks_core v1.0.0): those our DCI answers and callbacks
verify with, and those partners encrypt their messages to."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from himaya.access.model import UserKind
from himaya.api.routes.auth import log_in
from himaya.bootstrap.dci import jwks

router = APIRouter(tags=["DCI trust"])


class ClientToken(BaseModel):
    """authz_core's OAuth2ClientTokenResponse (its `expires_in` is a text there)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: str  # seconds


class Jwk(BaseModel):
    kty: str
    kid: str
    use: str
    alg: str
    crv: str | None = None  # OKP (Ed25519): our signing keys
    x: str | None = None
    n: str | None = None  # RSA: our encryption keys (RSA-OAEP-256)
    e: str | None = None


class Jwks(BaseModel):
    keys: list[Jwk]


@router.post("/oauth2/client/token", summary="DCI: an access token for a partner system (client credentials)")
def client_token(
    request: Request,
    grant_type: Annotated[str, Form(pattern="^client_credentials$")],
    client_id: Annotated[str, Form(max_length=64)],
    client_secret: Annotated[str, Form(max_length=256)],
    scope: Annotated[str | None, Form(max_length=256)] = None,  # the rights are the client's roles
) -> ClientToken:
    """The same login as `POST /auth/token` with `grant_type=client_credentials`: the same checks,
    throttle and audit entry; no refresh token (RFC 6749 4.4.3)."""
    tokens = log_in(request, client_id, client_secret, UserKind.CLIENT)
    return ClientToken(access_token=tokens.access_token, expires_in=str(tokens.expires_in))


@router.get(
    "/.well-known/jwks.json",
    summary="DCI: the public keys the service's DCI messages are signed with (use sig) and encrypted to (use enc)",
    response_model=Jwks,
    response_model_exclude_none=True,
)
def well_known_jwks(request: Request) -> Any:
    """Every key not retired: during a rotation's overlap the old keys beside the new (distinct kid)."""
    return Jwks.model_validate(jwks(request.app.state.dci_keys))
