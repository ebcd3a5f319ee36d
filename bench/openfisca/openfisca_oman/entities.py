"""Person, and Family: the family record (`family_id`) with its members' relationship to the head."""

from __future__ import annotations

from openfisca_core.entities import build_entity

Family = build_entity(
    key="family",
    plural="families",
    label="Family",
    doc="The family a person is registered in (`family_id`); Family Income Support is assessed on it.",
    roles=[
        {"key": "head", "plural": "heads", "label": "Head", "max": 1},
        {"key": "spouse", "plural": "spouses", "label": "Spouse"},
        {"key": "child", "plural": "children", "label": "Child"},
        {"key": "other", "plural": "others", "label": "Other member"},
    ],
)

Person = build_entity(key="person", plural="persons", label="Person", is_person=True)

entities = [Family, Person]
