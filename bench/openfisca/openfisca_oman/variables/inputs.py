"""The people table's columns (shared/policy/oman.md, section 3) as OpenFisca input variables.

Money is integer baisa (1 OMR = 1000 baisa); an empty cell is the variable's default value.
"""

# OpenFisca names a variable by its class, in snake case.
# ruff: noqa: N801

from __future__ import annotations

from datetime import date

from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import ETERNITY, MONTH
from openfisca_core.variables import Variable
from openfisca_oman.entities import Person
from openfisca_oman.enums import DisabilityCategory, MaritalStatus, Sex

NO_DEATH = date(9999, 12, 31)  # the default of `death_date`: an empty cell, alive


class birth_date(Variable):
    value_type = date
    entity = Person
    definition_period = ETERNITY
    label = "Date of birth"


class death_date(Variable):
    value_type = date
    default_value = NO_DEATH
    entity = Person
    definition_period = ETERNITY
    label = "Date of death (empty while alive)"


class sex(Variable):
    value_type = Enum
    possible_values = Sex
    default_value = Sex.F
    entity = Person
    definition_period = ETERNITY
    label = "Sex"


class nationality(Variable):
    value_type = str
    entity = Person
    definition_period = MONTH
    label = "Nationality (ISO 3166-1 alpha-2; OM for Omani)"


class resident(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Lives in Oman"


class marital_status(Variable):
    value_type = Enum
    possible_values = MaritalStatus
    default_value = MaritalStatus.single
    entity = Person
    definition_period = MONTH
    label = "Marital status"


class has_children(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Has had children, wherever they live"


class employed(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Employed"


class disability_category(Variable):
    value_type = Enum
    possible_values = DisabilityCategory
    default_value = DisabilityCategory.none
    entity = Person
    definition_period = MONTH
    label = "Disability category"


class disability_card(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Holds a valid disability card"


class father_deceased(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Father deceased or unknown"


class mother_deceased(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Mother deceased or unknown"


class wage(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Wage (baisa per month)"


class pension(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Own social-insurance pension (baisa per month)"


class survivor_pension(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Share of a death pension (baisa per month)"


class alimony(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Alimony (baisa per month)"


class other_income(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Other income (baisa per month)"


class earning_capacity(Variable):
    value_type = int
    unit = "baisa"
    entity = Person
    definition_period = MONTH
    label = "Income equivalent of earning capacity, as assessed (baisa per month)"
