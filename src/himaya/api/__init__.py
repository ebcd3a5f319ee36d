"""L5: the HTTP service (FastAPI): people, families, entitlements, parameters, payroll, audit and
the DCI Social Registry endpoints, behind OAuth2 tokens, roles and branch scopes."""
