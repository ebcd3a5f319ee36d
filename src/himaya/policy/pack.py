"""What a policy pack is made of: its contract, its parameters and its programmes' rules.

A rule is a plain function of the resolved parameters and the period that returns Polars
expressions over the whole population: the checks that must all hold, the amount (an integer of the
pack's currency's smallest unit: baisa for Oman, dinars for Iraq), and the figures an explanation
shows. The engine runs the steps in order; later steps may read the amounts
of earlier ones through `amount_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import polars as pl

from himaya.core.money import Currency
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.case_loader import load_catalogue
from himaya.policy.case_types import CaseCatalogue, CaseTypeError
from himaya.policy.parameters import Parameters, ParameterTree, load_parameters
from himaya.policy.registry import RegistryFact
from himaya.policy.schema import Column, TableSchema
from himaya.policy.service_loader import ServiceCatalogueError, load_services
from himaya.policy.services import ServiceCatalogue


class Unit(StrEnum):
    PERSON = "person"  # paid to each entitled person
    FAMILY = "family"  # assessed on the family, paid to one member (its head)


class Shown(StrEnum):
    """How a figure is written in an explanation."""

    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Check:
    """A condition of entitlement, as a boolean expression, with the words that explain it."""

    key: str
    label: Text
    expr: pl.Expr


@dataclass(frozen=True)
class Figure:
    """A value an explanation shows: an age, an income, the size of a family unit."""

    key: str
    label: Text
    expr: pl.Expr
    shown: Shown


class Op(StrEnum):
    """How a formula's next operand combines with what comes before it."""

    MINUS = "minus"
    TIMES_ROOT = "times_root"  # x the square root of the operand (a count)


@dataclass(frozen=True)
class Operand:
    """A value in a formula: `figure:KEY` (one of the rule's figures), `parameter:PATH` (a parameter
    in force), or `amount` (the programme's amount); with its name in a sentence."""

    source: str
    label: Text


@dataclass(frozen=True)
class Formula:
    """How an amount is worked out, for an explanation a citizen can follow:
    `result = first op operand op operand ...` (a subtraction never below zero)."""

    result: Operand
    first: Operand
    rest: tuple[tuple[Op, Operand], ...] = ()


@dataclass(frozen=True)
class Rule:
    """A programme's rule for one period: paid `amount` (Int64, the currency's smallest unit) where every check holds.

    `stages` are named intermediate columns, computed in order before the checks and the amount,
    each stage in one pass. A family rule needs them: a window over the family inside another
    window is evaluated group by group, which is hundreds of times slower than two flat passes.
    """

    checks: tuple[Check, ...]
    amount: pl.Expr
    figures: tuple[Figure, ...] = ()
    member_figures: tuple[Figure, ...] = ()  # for a family programme: shown for each member
    formulas: tuple[Formula, ...] = ()  # the arithmetic written out (policy/statement.py)
    stages: tuple[tuple[pl.Expr, ...], ...] = ()


RuleFunction = Callable[[Parameters, Period], Rule]


@dataclass(frozen=True)
class Programme:
    key: str
    name: Text
    unit: Unit
    rule: RuleFunction
    masculine: bool = False  # the Arabic name's gender, for the words agreeing with it (راتب: غير مستحق)


@dataclass(frozen=True)
class Withholding:
    """After the rules: `programme` is not paid where `when` holds, for the stated reason."""

    programme: str
    when: pl.Expr
    reason: Text


@dataclass(frozen=True)
class Adjustment:
    """A step that withholds amounts already computed, such as the rules for combining benefits."""

    key: str
    name: Text
    rule: Callable[[Parameters, Period], tuple[Withholding, ...]]


Step = Programme | Adjustment


@dataclass(frozen=True)
class EnrollmentStart:
    """From which month an entitled person is enrolled in a programme: `month` an expression over
    the columns birth_date and assessed_from (Date), truncated to the month by the caller; `rule`
    says it in words, for the enrollment's reason."""

    month: pl.Expr
    rule: str


@dataclass(frozen=True)
class AnalysisInputs:
    """What `himaya simulate` and `himaya project` need of a pack beside its rules (docs/parameters.md)."""

    data: Path  # the WPP 2024 extract (`{wpp_prefix}_*.csv`) and `scenario.yaml`, the projection's default
    wpp_prefix: str  # e.g. "oman_wpp2024"
    citizenship: str  # the nationality the benefits are for: coverage is measured among its holders
    income_columns: tuple[str, ...]  # cash incomes before transfers, summed over the family
    disabled: pl.Expr  # a person with a disability, for coverage
    poverty_line: str  # parameter path: the line a month per adult equivalent, in the currency's smallest unit
    equivalence_elasticity: str | None  # parameter path (adult equivalents = size ** it); None: per person
    coverage_title: Text  # whom coverage is measured among, and what counts as covered
    money: Text  # the currency in a chart's words ("OMR", "ريال عماني")
    targeting: bool = False  # measure each design's inclusion and exclusion errors on the incomes given
    # The people table's column naming the dwelling a family lives in (Iraq: `household_id`, optional):
    # poverty and inequality are measured per household when a table has it, per family otherwise.
    household: Column | None = None
    # The months of a year whose rules a projection averages (July only: a rule paid all year round).
    months: tuple[int, ...] = (7,)


def _no_start_rules(_: Parameters) -> Mapping[str, EnrollmentStart]:
    return {}


@dataclass(frozen=True)
class PolicyPack:
    name: str
    title: Text
    parameters_dir: Path
    schema: TableSchema
    first_period: Period
    steps: tuple[Step, ...]
    recipient: pl.Expr  # the member who receives a family programme (e.g. the head)
    derived: tuple[pl.Expr, ...]  # columns every rule may read, computed once before the steps
    registry: TableSchema  # the people table with what a registry records beside it (names, place, contact)
    timezone: str  # where "today" is decided
    currency: Currency  # what its amounts, money columns and money parameters are in (core/money.py)
    person_column: str = "person_id"
    family_column: str = "family_id"
    check_parameters: Callable[[ParameterTree], None] = lambda _: None  # codes a parameter may name
    # What the codes of its tables and parameters are called in English and Arabic, by the column
    # or kind they belong to ("relationship", "programme", ...), for explanations and listings.
    code_names: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)

    def names_of(self, *kinds: str) -> dict[str, Text]:
        """The names of the codes of these kinds, in one mapping (a code naming one thing in them)."""
        return {code: name for kind in kinds for code, name in self.code_names.get(kind, {}).items()}

    @property
    def parameter_code_names(self) -> dict[str, Text]:
        """The names of the codes its parameters name (programmes, categories, places...)."""
        return self.names_of(*self.parameter_code_kinds)

    places: Mapping[str, str] = field(default_factory=dict)  # place -> governorate (Oman: a wilayat; Iraq: a district)
    # The contract column naming a person's place (one of `places`): the registry keeps it in its place
    # column too (`wilayat`), which scopes branches, cases and letters.
    place_column: str = "wilayat"
    person_number: Text = field(default_factory=lambda: Text("Civil number", "الرقم المدني"))  # as letters name it
    person_numbers: Text = field(default_factory=lambda: Text("civil numbers", "الأرقام المدنية"))  # the plural
    place_name: Text = field(default_factory=lambda: Text("Wilayat", "الولاية"))  # what one of `places` is called
    # The kinds of code_names whose codes parameters name (their values shown by name in Arabic).
    parameter_code_kinds: tuple[str, ...] = ("programme",)
    registry_facts: tuple[RegistryFact, ...] = ()  # the time-bound facts the registry keeps (policy/registry.py)
    country: str = ""  # ISO 3166-1 alpha-2 code of the country the pack is for (e.g. in DCI addresses)
    dialling_code: str = ""  # the country's telephone code, without + (a phone searched without it)
    institution: Text = field(default_factory=lambda: Text("", ""))  # who writes to people: the sender of letters
    # Payroll and enrollment knowledge: two characters per programme in payment references, the age
    # from which a beneficiary is paid to their own account only, and the programmes enrolled from
    # another month than the application's (from the parameters in force, so a reform moves both).
    programme_codes: Mapping[str, str] = field(default_factory=dict)
    age_of_majority: int = 18
    enrollment_starts: Callable[[Parameters], Mapping[str, EnrollmentStart]] = _no_start_rules
    cases_dir: Path | None = None  # the case types (`cases/*.yaml`) and the working-day calendar
    services_dir: Path | None = None  # the services of other bodies, their providers, the referral rules
    analysis: AnalysisInputs | None = None  # what simulate and project need; None: not analysed

    @cached_property
    def parameters(self) -> ParameterTree:
        return load_parameters(self.parameters_dir, currency=self.currency)

    @cached_property
    def cases(self) -> CaseCatalogue:
        """The pack's case types and calendar, read and checked on first use (a bad file: CaseTypeError)."""
        if self.cases_dir is None:
            raise CaseTypeError(f"policy pack {self.name} declares no case types")
        found = load_catalogue(self.cases_dir, places=self.places, timezone=self.timezone, currency=self.currency)
        # Its letters name months, the person's number and places with the pack's words.
        return replace(
            found,
            month_names=self.code_names.get("month", {}),
            person_number=self.person_number,
            place_names=self.code_names.get(self.place_column, {}),
            governorate_names=self.code_names.get("governorate", {}),
        )

    @cached_property
    def services(self) -> ServiceCatalogue:
        """The services, providers and referral rules, read and checked on first use (with the case
        types: the referral type's services must be the catalogue's)."""
        if self.services_dir is None:
            raise ServiceCatalogueError(f"policy pack {self.name} declares no services")
        return load_services(
            self.services_dir,
            places=self.places,
            programmes=[p.key for p in self.programmes],
            schema=self.schema,
            cases=self.cases,
        )

    @property
    def programmes(self) -> tuple[Programme, ...]:
        return tuple(step for step in self.steps if isinstance(step, Programme))

    def programme(self, key: str) -> Programme:
        return next(p for p in self.programmes if p.key == key)


def amount_of(programme: str) -> pl.Expr:
    """The amount (the currency's smallest unit) of a programme computed by an earlier step, for every row."""
    return pl.col(f"amount.{programme}")
