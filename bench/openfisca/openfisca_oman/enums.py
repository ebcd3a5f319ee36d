"""The coded columns of the people table as OpenFisca enums (member names are the codes in the table)."""

from __future__ import annotations

from openfisca_core.indexed_enums import Enum


class Sex(Enum):
    F = "Female"
    M = "Male"


class MaritalStatus(Enum):
    single = "Single"
    married = "Married"
    divorced = "Divorced"
    widowed = "Widowed"


class DisabilityCategory(Enum):
    none = "No disability category"
    autism = "Autism"
    down_syndrome = "Down syndrome"
    intellectual = "Intellectual"
    visual = "Visual"
    hearing = "Hearing"
    physical = "Physical"
    other_approved = "Other approved"
