"""Family Income Support (law arts. 39 ff.): the family's income topped up to 115 x sqrt(n), paid to the head.

Who is counted, their income and the head's situation are person variables; the family sums them
(`family.sum`, `family.any`) and reads the head's own values (`family.value_from_person`).
"""

# OpenFisca names a variable by its class, in snake case, and calls its formulas as plain functions.
# ruff: noqa: N801, N805

from __future__ import annotations

import numpy
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable
from openfisca_oman.entities import Family, Person
from openfisca_oman.enums import MaritalStatus, Sex
from openfisca_oman.helpers import as_baisa, baisa, exact_target

OMANI = "OM"


class fis_counted(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Counted in the family unit: head, spouses, dependent children, unmarried daughters"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).fis
        age = person("age_at_month_start", period)
        not_working = ~person("employed", period)
        status = person("marital_status", period)
        is_child = person.has_role(Family.CHILD)
        # A child up to 26 counts whatever the sex or marital status (interpretation 5) ...
        child_counts = is_child & not_working & (age <= p.child_max_age)
        # ... and the daughter rule adds unmarried daughters up to 39.
        daughter_counts = (
            is_child
            & (person("sex", period) == Sex.F)
            & not_working
            & (age < p.daughter_max_age)
            & (
                (status == MaritalStatus.single)
                | ((status == MaritalStatus.divorced) & ~person("has_children", period))
            )
        )
        head_or_spouse = person.has_role(Family.HEAD) | person.has_role(Family.SPOUSE)
        return (
            person("alive_in_month", period)
            & person("born_by_month_end", period)
            & (head_or_spouse | child_counts | daughter_counts)
        )


class fis_earning_capacity_waived(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "From 2026, a woman head whose earning capacity is not counted"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).fis
        status = person("marital_status", period)
        has_children = person("has_children", period)
        older = person("age_at_month_start", period) >= p.earning_capacity_waiver_age
        # "No custody": no counted member with relationship child in the family (interpretation 7).
        no_custody = person.family("fis_counted_children", period) == 0
        single = status == MaritalStatus.single
        divorced = status == MaritalStatus.divorced
        widowed = status == MaritalStatus.widowed
        return (
            person.has_role(Family.HEAD)
            & (person("sex", period) == Sex.F)
            & (
                (single & older)
                | (divorced & has_children & older)
                | (divorced & has_children & no_custody)
                | (widowed & ~has_children)
            )
        )


class fis_member_income(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Income a counted member brings into the family's assessment"

    def formula_2024_01(person, period, parameters):
        p = parameters(period).fis
        alimony = as_baisa(person("alimony", period))
        survivor = as_baisa(person("survivor_pension", period))
        capacity = as_baisa(person("earning_capacity", period))
        if p.womens_income_rules:
            widowed_or_divorced_head = person.family("fis_head_widowed_or_divorced_woman", period)
            alimony = numpy.where(widowed_or_divorced_head, 0, alimony)
            survivor = numpy.where(widowed_or_divorced_head & person.has_role(Family.CHILD), 0, survivor)
            capacity = numpy.where(person("fis_earning_capacity_waived", period), 0, capacity)
        income = (
            as_baisa(person("wage", period))
            + person("pension", period)
            + survivor
            + alimony
            + person("other_income", period)
            + capacity
        )
        # The benefits actually paid, after the combination rules (interpretation 8).
        for key in p.counted_benefits:
            income = income + person(key, period)
        return numpy.where(person("fis_counted", period), income, 0)


class fis_members(Variable):
    value_type = int
    entity = Family
    definition_period = MONTH
    label = "Members counted (n)"

    def formula_2024_01(family, period, parameters):
        return family.sum(family.members("fis_counted", period)).astype(numpy.int64)


class fis_counted_children(Variable):
    value_type = int
    entity = Family
    definition_period = MONTH
    label = "Counted members with relationship child"

    def formula_2024_01(family, period, parameters):
        return family.sum(family.members("fis_counted", period), role=Family.CHILD).astype(numpy.int64)


class fis_omani_member(Variable):
    value_type = bool
    entity = Family
    definition_period = MONTH
    label = "At least one counted member is Omani"

    def formula_2024_01(family, period, parameters):
        return family.any(family.members("fis_counted", period) & (family.members("nationality", period) == OMANI))


class fis_head_widowed_or_divorced_woman(Variable):
    value_type = bool
    entity = Family
    definition_period = MONTH
    label = "The head is a widowed or divorced woman"

    def formula_2024_01(family, period, parameters):
        status = family.members("marital_status", period)
        woman = family.members("sex", period) == Sex.F
        widowed_or_divorced = (status == MaritalStatus.widowed) | (status == MaritalStatus.divorced)
        return family.value_from_person(woman & widowed_or_divorced, role=Family.HEAD)


class fis_head_lone_woman(Variable):
    value_type = bool
    entity = Family
    definition_period = MONTH
    label = "The head is a single, divorced or widowed woman"

    def formula_2024_01(family, period, parameters):
        status = family.members("marital_status", period)
        woman = family.members("sex", period) == Sex.F
        lone = (status == MaritalStatus.single) | (status == MaritalStatus.divorced) | (status == MaritalStatus.widowed)
        return family.value_from_person(woman & lone, role=Family.HEAD)


class fis_head_eligible(Variable):
    value_type = bool
    entity = Family
    definition_period = MONTH
    label = "The head is resident and alive in the month (interpretation 6)"

    def formula_2024_01(family, period, parameters):
        head_ok = family.members("resident", period) & family.members("alive_in_month", period)
        return family.value_from_person(head_ok, role=Family.HEAD)


class fis_income(Variable):
    value_type = int
    unit = "baisa"
    entity = Family
    definition_period = MONTH
    label = "Family income counted (Y)"

    def formula_2024_01(family, period, parameters):
        # numpy.bincount sums in float64: exact for integer baisa below 2^53.
        return family.sum(family.members("fis_member_income", period)).astype(numpy.int64)


class fis_target(Variable):
    value_type = int
    unit = "baisa"
    entity = Family
    definition_period = MONTH
    label = "Target: base x square root of n, rounded half up to the baisa"

    def formula_2024_01(family, period, parameters):
        return exact_target(baisa(parameters(period).fis.base), family("fis_members", period))


class family_income_support(Variable):
    value_type = int
    unit = "baisa"
    entity = Family
    definition_period = MONTH
    label = "Family Income Support, paid to the head"

    def formula_2024_01(family, period, parameters):
        p = parameters(period).fis
        benefit = numpy.maximum(
            as_baisa(family("fis_target", period)) - as_baisa(family("fis_income", period)),
            0,
        )
        # A one-person family headed by a single, divorced or widowed woman: the benefit paid is capped
        # (after income is deducted: interpretation 2).
        lone_woman = (family("fis_members", period) == 1) & family("fis_head_lone_woman", period)
        benefit = numpy.where(lone_woman, numpy.minimum(benefit, baisa(p.single_woman_cap)), benefit)
        eligible = family("fis_head_eligible", period) & family("fis_omani_member", period)
        return numpy.where(eligible, benefit, 0)
