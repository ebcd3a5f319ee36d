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

# The codes of the people table and of the parameters, by the column (or kind) they belong to.
CODE_NAMES = {
    "programme": PROGRAMME_NAMES,
    "sex": {"F": Text("female", "أنثى"), "M": Text("male", "ذكر")},
    "marital_status": {
        "single": Text("single", "أعزب أو عزباء"),
        "married": Text("married", "متزوج أو متزوجة"),
        "divorced": Text("divorced", "مطلق أو مطلقة"),
        "widowed": Text("widowed", "أرمل أو أرملة"),
    },
    "relationship": {
        "head": Text("head", "رب الأسرة"),
        "spouse": Text("spouse", "الزوج أو الزوجة"),
        "child": Text("child", "الابن أو الابنة"),
        "other": Text("other member", "فرد آخر"),
    },
    "relationship_by_sex": {  # a member of known sex, in Arabic: not "the son or daughter"
        "spouse.M": Text("spouse", "الزوج"),
        "spouse.F": Text("spouse", "الزوجة"),
        "child.M": Text("child", "الابن"),
        "child.F": Text("child", "الابنة"),
    },
    "disability_category": {
        "autism": Text("autism", "التوحد"),
        "down_syndrome": Text("Down syndrome", "متلازمة داون"),
        "intellectual": Text("intellectual disability", "الإعاقة الذهنية"),
        "visual": Text("visual disability", "الإعاقة البصرية"),
        "hearing": Text("hearing disability", "الإعاقة السمعية"),
        "physical": Text("physical disability", "الإعاقة الحركية"),
        "other_approved": Text("other approved category", "فئة أخرى معتمدة"),
    },
}
