"""The individual benefits: child, elderly, disability, orphan, widow, and how they combine.

Each programme has an `<key>_entitlement` (its own rule) and the `<key>` paid after the combination
rules (`combination.exclusive`: of each pair, a person entitled to both is paid the first only, and
"entitled" means a positive amount under the programme's own rule: interpretation 3).
"""

# OpenFisca names a variable by its class, in snake case, and calls its formulas as plain functions.
# ruff: noqa: N801, N805

from __future__ import annotations

from fractions import Fraction

import numpy
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable
from openfisca_oman.entities import Person
from openfisca_oman.enums import DisabilityCategory, MaritalStatus, Sex
from openfisca_oman.helpers import as_baisa, baisa


class child_entitlement(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Child benefit under its own rule (law art. 37)"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).child
        eligible = person("base_condition", period) & (person("age_at_month_start", period) < p.max_age)
        return numpy.where(eligible, baisa(p.amount), 0)


class elderly_own_income(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Own income of the elderly income test: wage, pension, survivor pension, other income"

    def formula(person, period, parameters):
        return (
            as_baisa(person("wage", period))
            + person("pension", period)
            + person("survivor_pension", period)
            + person("other_income", period)
        )


class elderly_entitlement(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Elderly benefit under its own rule (law art. 30; income test from 2026-01)"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).elderly
        full = baisa(p.amount)
        eligible = person("base_condition", period) & (person("age_at_month_end", period) >= p.min_age)
        test = p.income_test
        if not test.active:
            return numpy.where(eligible, full, 0)
        income = as_baisa(person("elderly_own_income", period))
        full_until, zero_from = baisa(test.full_until), baisa(test.zero_from)
        rate = Fraction(str(test.taper_rate))  # 0.5 -> 1/2: the taper is then exact integer arithmetic
        # full - rate x (income - full_until), the whole expression rounded half up to the baisa
        # (interpretation 1): floor((2 x den x full - 2 x num x excess + den) / (2 x den)).
        num, den = rate.numerator, rate.denominator
        tapered = (2 * den * full - 2 * num * (income - full_until) + den) // (2 * den)
        amount = numpy.select(
            [income <= full_until, income >= zero_from],
            [full, 0],
            numpy.maximum(tapered, 0),
        )
        return numpy.where(eligible, amount, 0)


class disability_entitlement(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Disability benefit under its own rule (law art. 31)"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).disability
        category = person("disability_category", period)
        qualifies = numpy.zeros(person.count, dtype=bool)
        for name in p.categories:
            qualifies |= category == DisabilityCategory[name]
        eligible = person("base_condition", period) & person("disability_card", period) & qualifies
        return numpy.where(eligible, baisa(p.amount), 0)


class orphan_entitlement(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Orphan benefit under its own rule (law art. 33): the survivor pension topped up to the ceiling"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).orphan
        eligible = (
            person("base_condition", period)
            & (person("age_at_month_start", period) < p.max_age)
            & (person("father_deceased", period) | person("mother_deceased", period))
        )
        amount = numpy.maximum(baisa(p.ceiling) - as_baisa(person("survivor_pension", period)), 0)
        return numpy.where(eligible, amount, 0)


class widow_entitlement(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Widow benefit under its own rule (law art. 33): her pensions topped up to the ceiling"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).widow
        eligible = (
            person("base_condition", period)
            & (person("sex", period) == Sex.F)
            & (person("marital_status", period) == MaritalStatus.widowed)
            & (person("age_at_month_end", period) < p.max_age)
        )
        pensions = as_baisa(person("pension", period)) + person("survivor_pension", period)
        return numpy.where(eligible, numpy.maximum(baisa(p.ceiling) - pensions, 0), 0)


def paid_after_combination(person, period, parameters, key: str) -> numpy.ndarray:
    """`key`'s entitlement, withheld where the person is also entitled to a programme that excludes it."""
    own = person(f"{key}_entitlement", period)
    withheld = numpy.zeros(person.count, dtype=bool)
    for first, second in parameters(period).combination.exclusive:
        if second == key:
            withheld |= (person(f"{first}_entitlement", period) > 0) & (own > 0)
    return numpy.where(withheld, 0, own)


class child(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Child benefit paid"

    def formula_2024_01(person, period, parameters):
        return paid_after_combination(person, period, parameters, "child")


class elderly(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Elderly benefit paid"

    def formula_2024_01(person, period, parameters):
        return paid_after_combination(person, period, parameters, "elderly")


class disability(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Disability benefit paid"

    def formula_2024_01(person, period, parameters):
        return paid_after_combination(person, period, parameters, "disability")


class orphan(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Orphan benefit paid"

    def formula_2024_01(person, period, parameters):
        return paid_after_combination(person, period, parameters, "orphan")


class widow(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Widow benefit paid"

    def formula_2024_01(person, period, parameters):
        return paid_after_combination(person, period, parameters, "widow")
