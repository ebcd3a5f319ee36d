"""The programmes of the Oman pack and their names (policy/oman.md, section 2)."""

from __future__ import annotations

from himaya.core.text import Text

PROGRAMME_NAMES = {
    "child": Text("Child benefit", "منفعة الطفولة"),
    "elderly": Text("Elderly benefit", "منفعة كبار السن"),
    "disability": Text("Disability benefit", "منفعة الأشخاص ذوي الإعاقة"),
    "orphan": Text("Orphan benefit", "منفعة الأيتام"),
    "widow": Text("Widow benefit", "منفعة الأرامل"),
    "family_income_support": Text("Family Income Support", "منفعة دعم دخل الأسرة"),
}
