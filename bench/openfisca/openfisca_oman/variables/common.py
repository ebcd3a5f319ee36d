"""Ages, being alive in the month, being born by its end, and the base condition of every individual benefit."""

# OpenFisca names a variable by its class, in snake case, and calls its formulas as plain functions.
# ruff: noqa: N801, N805

from __future__ import annotations

import numpy
from openfisca_core.periods import ETERNITY, MONTH
from openfisca_core.variables import Variable
from openfisca_oman.entities import Person
from openfisca_oman.helpers import age_at

OMANI = "OM"


class birth_year(Variable):
    value_type = int
    entity = Person
    definition_period = ETERNITY
    label = "Year of birth"

    def formula(person, period, parameters):
        born = person("birth_date", period)
        return born.astype("datetime64[Y]").astype(numpy.int64) + 1970


class birth_month_day(Variable):
    value_type = int
    entity = Person
    definition_period = ETERNITY
    label = "Month and day of birth as MMDD"

    def formula(person, period, parameters):
        born = person("birth_date", period)
        month_start = born.astype("datetime64[M]")
        month = month_start.astype(numpy.int64) % 12 + 1
        day = (born - month_start).astype(numpy.int64) + 1
        return month * 100 + day


class age_at_month_start(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in completed years on the first day of the month"

    def formula(person, period, parameters):
        return age_at(period.start.date, person("birth_year", period), person("birth_month_day", period))


class age_at_month_end(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in completed years on the last day of the month"

    def formula(person, period, parameters):
        return age_at(period.stop.date, person("birth_year", period), person("birth_month_day", period))


class alive_in_month(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Alive in the month: no death date, or one on or after its first day (the month of death is paid)"

    def formula(person, period, parameters):
        return person("death_date", period) >= numpy.datetime64(period.start.date, "D")


class born_by_month_end(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Born by the last day of the month (the month of birth is paid)"

    def formula(person, period, parameters):
        return person("birth_date", period) <= numpy.datetime64(period.stop.date, "D")


class base_condition(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Omani, resident, alive in the month and born by its end"

    def formula(person, period, parameters):
        return (
            (person("nationality", period) == OMANI)
            & person("resident", period)
            & person("alive_in_month", period)
            & person("born_by_month_end", period)
        )
