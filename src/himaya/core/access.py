"""Who may do what: roles, permissions and branch scopes, as data.

The catalogue below is the *default* grant of permissions to roles; migration 0004 copies it into
the `role_permission` table, and from then on the table is what counts (an installation may change
it). A user holds roles and is scoped to branches: wilayats or governorates, or every branch.
`Principal` is what a request carries once its token is checked: the storage layer builds its
queries from it, so a user never reads a family outside their branches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    REGISTRAR = "registrar"
    CASE_WORKER = "case_worker"
    SUPERVISOR = "supervisor"
    FINANCE_OFFICER = "finance_officer"
    PAYROLL_APPROVER = "payroll_approver"
    POLICY_ANALYST = "policy_analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PARTNER = "partner"  # a partner system (client credentials): DCI search only
    CIVIL_REGISTRY = "civil_registry"  # the civil registry's system (client credentials): posts life events only
    PROVIDER = "provider"  # a service provider's system (client credentials): answers the referrals sent to it
    EMPLOYER = "employer"  # an employer's payroll system (client credentials): declares its own months' wages
    INSURANCE_OFFICER = "insurance_officer"  # the Fund's officer: takes any employer's declarations


class Permission(StrEnum):
    PERSON_READ = "person.read"
    PERSON_IDENTIFY = "person.identify"  # see names, civil numbers, contact and bank details
    PERSON_CREATE = "person.create"
    PERSON_UPDATE = "person.update"
    FACT_WRITE = "fact.write"  # assessments, incomes, bank accounts
    ENROLLMENT_READ = "enrollment.read"
    ENROLLMENT_WRITE = "enrollment.write"
    ENTITLEMENT_READ = "entitlement.read"
    PARAMETERS_READ = "parameters.read"
    PAYROLL_READ = "payroll.read"
    PAYROLL_RUN = "payroll.run"
    PAYROLL_SUBMIT = "payroll.submit"
    PAYROLL_APPROVE = "payroll.approve"
    PAYROLL_EXPORT = "payroll.export"
    PAYROLL_RECONCILE = "payroll.reconcile"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    DCI_SEARCH = "dci.search"
    CASE_READ = "case.read"  # see the cases of one's branches (not the sensitive ones)
    CASE_OPEN = "case.open"
    CASE_WORK = "case.work"  # assign, note, move a case on (not decide)
    CASE_DECIDE = "case.decide"  # the moves a case type marks as decisions
    CASE_SENSITIVE = "case.sensitive"  # see and work sensitive cases (e.g. complaints about staff)
    EVENT_SUBMIT = "event.submit"  # a civil registry posts life events (births, deaths) to the inbox
    REFERRAL_RESPOND = "referral.respond"  # a provider reads and answers the referrals sent to it (provider:KEY scope)
    INSURANCE_DECLARE = "insurance.declare"  # an employer's monthly declaration of wages (employer:CR scope, or all)
    INSURANCE_READ = "insurance.read"  # read the insurance awards of the people of one's branches
    INSURANCE_AWARD = "insurance.award"  # prepare, end and review an award (of the people of one's branches)
    INSURANCE_AWARD_APPROVE = "insurance.award.approve"  # approve an award another user prepared (maker-checker)


P = Permission
_BRANCH_READ = {P.PERSON_READ, P.PERSON_IDENTIFY, P.ENROLLMENT_READ, P.ENTITLEMENT_READ, P.PARAMETERS_READ}
_CASES = {P.CASE_READ, P.CASE_OPEN, P.CASE_WORK}  # migration 0010 grants them to the roles of existing stores
DEFAULT_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.REGISTRAR: frozenset(_BRANCH_READ | _CASES | {P.PERSON_CREATE, P.PERSON_UPDATE, P.FACT_WRITE}),
    Role.CASE_WORKER: frozenset(_BRANCH_READ | _CASES | {P.FACT_WRITE}),
    Role.SUPERVISOR: frozenset(
        _BRANCH_READ
        | _CASES
        | {P.PERSON_CREATE, P.PERSON_UPDATE, P.FACT_WRITE, P.ENROLLMENT_WRITE, P.CASE_DECIDE, P.CASE_SENSITIVE}
        | {P.INSURANCE_READ, P.INSURANCE_AWARD_APPROVE}  # the checker of an insurance award (migration 0042)
    ),
    Role.FINANCE_OFFICER: frozenset(
        {P.PAYROLL_READ, P.PAYROLL_RUN, P.PAYROLL_SUBMIT, P.PAYROLL_EXPORT, P.PAYROLL_RECONCILE, P.PARAMETERS_READ}
    ),
    Role.PAYROLL_APPROVER: frozenset({P.PAYROLL_READ, P.PAYROLL_APPROVE, P.PARAMETERS_READ}),
    # Analysts and auditors read people, but never who they are (no person.identify).
    Role.POLICY_ANALYST: frozenset({P.PERSON_READ, P.ENTITLEMENT_READ, P.PARAMETERS_READ, P.PAYROLL_READ}),
    Role.AUDITOR: frozenset({P.PERSON_READ, P.ENROLLMENT_READ, P.PAYROLL_READ, P.AUDIT_READ, P.PARAMETERS_READ}),
    Role.ADMIN: frozenset({P.USERS_MANAGE, P.AUDIT_READ, P.PARAMETERS_READ}),
    Role.PARTNER: frozenset({P.DCI_SEARCH, P.PERSON_IDENTIFY}),
    # Apart from the partners: a death it posts stops payments, so no DCI client may post one.
    Role.CIVIL_REGISTRY: frozenset({P.EVENT_SUBMIT}),
    # A provider of services (a rehabilitation centre, a labour directorate): the referrals sent to
    # the providers of its scopes (`provider:KEY`), nothing of the registry (migration 0017).
    Role.PROVIDER: frozenset({P.REFERRAL_RESPOND}),
    # An employer declares for the employers of its scopes (`employer:CR_NUMBER`) only; the Fund's
    # insurance officer, scoped `all`, for any (migration 0041). The officer prepares, ends and reviews
    # the awards of the people of their branches; a supervisor approves them (migration 0042).
    Role.EMPLOYER: frozenset({P.INSURANCE_DECLARE}),
    Role.INSURANCE_OFFICER: frozenset(
        {P.INSURANCE_DECLARE, P.PARAMETERS_READ, P.INSURANCE_READ, P.INSURANCE_AWARD, P.PERSON_IDENTIFY}
    ),
}

SCOPE_KINDS = ("wilayat", "governorate", "all", "provider", "employer")


@dataclass(frozen=True)
class Scope:
    """One branch a user may see: `wilayat:Nizwa`, `governorate:Ad Dakhiliyah`, or `all`; for a
    provider's system, the provider whose referrals it answers: `provider:KEY` (no branch); for an
    employer's system, the employer it declares for: `employer:CR_NUMBER` (no branch)."""

    kind: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        kind, _, value = text.partition(":")
        kind = kind.strip().lower()
        if kind == "all" and not value:
            return cls("all")
        if kind not in ("wilayat", "governorate", "provider", "employer") or not value.strip():
            raise ValueError(
                f"{text!r} is not a branch scope: write wilayat:NAME, governorate:NAME, all, provider:KEY"
                " or employer:CR_NUMBER"
                " (e.g. wilayat:Nizwa)"
            )
        return cls(kind, value.strip())

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Principal:
    """The acting user as a request sees them: name, roles, the permissions those roles hold and
    the branches in scope."""

    username: str
    roles: frozenset[str]
    permissions: frozenset[str]
    scopes: tuple[Scope, ...] = field(default=())
    kind: str = "person"  # person or client (a partner system)

    def can(self, permission: Permission) -> bool:
        return permission.value in self.permissions

    @property
    def identifies(self) -> bool:
        """May this user see who a person is (names, civil number, contact, bank)?"""
        return self.can(Permission.PERSON_IDENTIFY)

    @property
    def every_branch(self) -> bool:
        return any(s.kind == "all" for s in self.scopes)

    def branch_values(self, kind: str) -> list[str]:
        return sorted(s.value for s in self.scopes if s.kind == kind and s.value is not None)


def permissions_of(roles: Iterable[str], grants: dict[str, set[str]]) -> frozenset[str]:
    """The union of what each role holds, from the `role_permission` table's rows."""
    return frozenset(p for role in roles for p in grants.get(role, ()))
