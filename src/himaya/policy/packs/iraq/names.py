"""The programmes of the Iraq pack and the names of its codes (`shared/policy/iraq.md`, section 3)."""

from __future__ import annotations

from himaya.core.text import Text

PROGRAMME_NAMES = {
    "sp_cash": Text("Social protection cash subsidy", "إعانة الحماية الاجتماعية"),
    "student_grant": Text("Student grant", "المنحة الطلابية"),
    "caregiver": Text("Full-time caregiver salary", "راتب المعين المتفرغ"),
    # Oman's life-cycle design, for a reform to switch on (lifecycle.py): not in Iraq's law.
    "child_benefit": Text("Child benefit", "منفعة الطفل"),
    "old_age": Text("Old-age benefit", "منفعة كبار السن"),
    "disability_benefit": Text("Disability benefit", "منفعة الإعاقة"),
    "family_top_up": Text("Family income top-up", "دعم دخل الأسرة"),
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
    "caseload": {
        "men": Text("men's category (a family headed by a man)", "فئة الرجال (أسرة يعيلها رجل)"),
        "women": Text("women's category (a family headed by a woman)", "فئة النساء (أسرة تعيلها امرأة)"),
    },
    "welfare_source": {
        "measured": Text("measured by the social researcher's survey", "مقيسة باستمارة البحث الاجتماعي"),
        "formula": Text("worked out by the pack's formula", "محسوبة بمعادلة الحزمة"),
    },
    "sp_category": {
        "disabled": Text("person with a disability or special needs", "من ذوي الإعاقة والاحتياجات الخاصة"),
        "widow": Text("widow", "أرملة"),
        "divorcee": Text("divorcee", "مطلقة"),
        "missing_husband": Text("wife of a missing person", "زوجة المفقود"),
        "abandoned": Text("abandoned wife", "المهجورة"),
        "unmarried_woman": Text("adult unmarried woman", "البنت البالغة غير المتزوجة"),
        "incapacitated": Text("incapacitated, unable to work", "العاجز"),
        "orphan": Text("orphan", "اليتيم"),
        "prisoner_family": Text("family of a prisoner or detainee", "أسرة السجين أو المحتجز"),
        "state_care": Text("resident of a state care home", "نزيل دور الدولة"),
        "juvenile": Text("juvenile convict", "الحدث المحكوم"),
        "married_student": Text("married student", "الطالب المتزوج"),
        "no_income": Text("household without income or below the poverty line", "أسرة بلا دخل أو دون خط الفقر"),
    },
    "school_level": {
        "none": Text("not a student", "ليس طالباً"),
        "primary": Text("primary school", "الدراسة الابتدائية"),
        "intermediate": Text("intermediate school", "الدراسة المتوسطة"),
        "preparatory": Text("preparatory school", "الدراسة الإعدادية"),
        "university": Text("university or institute", "الجامعة أو المعهد"),
        "postgraduate": Text("postgraduate studies", "الدراسات العليا"),
    },
    "disability_category": {
        "quadriplegia": Text("quadriplegia", "الشلل الرباعي"),
        "hemiplegia": Text("hemiplegia", "الشلل النصفي"),
        "amputation": Text("amputation", "البتر"),
        "blindness": Text("blindness", "فقدان البصر"),
        "intellectual": Text("intellectual disability", "الإعاقة الذهنية"),
        "blood_disease": Text("genetic blood disease", "أمراض الدم الوراثية"),
        "renal_failure": Text("renal failure", "الفشل الكلوي"),
        "incurable_disease": Text("incurable disease", "الأمراض المستعصية"),
        "other": Text("other disability", "إعاقة أخرى"),
    },
}

# Months of the year, for `student_grant.months` (a parameter's codes): January is MONTHS[0].
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTH_NAMES = {
    code: Text(code.capitalize(), ar)
    for code, ar in zip(
        MONTHS,
        (
            "كانون الثاني",
            "شباط",
            "آذار",
            "نيسان",
            "أيار",
            "حزيران",
            "تموز",
            "آب",
            "أيلول",
            "تشرين الأول",
            "تشرين الثاني",
            "كانون الأول",
        ),
        strict=True,
    )
}
