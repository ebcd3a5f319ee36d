"""The people table: the input contract of the Iraq pack (`shared/policy/iraq.md`, section 7).

Oman's contract with Iraq's additions: the governorate (required: the federal scheme stops at the
Kurdistan Region), a measured proxy-means-test welfare, the category of the Social Protection Law,
school level, enrolment and attendance, the exclusions' flags, the caregiver's link to the person
cared for. Money is in whole Iraqi dinars (IQD).
"""

from __future__ import annotations

from dataclasses import replace

from himaya.core.money import Currency
from himaya.core.text import Text
from himaya.policy.packs.iraq.places import districts, governorates
from himaya.policy.schema import Column, Kind, NotBefore, OnePerGroup, OnlyWhere, PartOf, TableSchema

IQD = Currency("IQD", 0, Text("IQD", "د.ع."), smallest="dinar", example="125000")

RELATIONSHIPS = ("head", "spouse", "child", "other")
SEXES = ("F", "M")
MARITAL_STATUSES = ("single", "married", "divorced", "widowed")
# Law 11/2014, art. 1 First: the groups covered (iraq.md section 3.1); an attribute, not a condition.
SP_CATEGORIES = (
    "disabled",
    "widow",
    "divorcee",
    "missing_husband",
    "abandoned",
    "unmarried_woman",
    "incapacitated",
    "orphan",
    "prisoner_family",
    "state_care",
    "juvenile",
    "married_student",
    "no_income",
)
SCHOOL_LEVELS = ("none", "primary", "intermediate", "preparatory", "university", "postgraduate")
PUPIL_LEVELS = ("primary", "intermediate", "preparatory")  # at school (the attendance sanction)
# Law 38/2013: the severe conditions a full-time caregiver may be paid for (iraq.md section 3.4), and others.
DISABILITY_CATEGORIES = (
    "quadriplegia",
    "hemiplegia",
    "amputation",
    "blindness",
    "intellectual",
    "blood_disease",
    "renal_failure",
    "incurable_disease",
    "other",
)
INCOME_COLUMNS = ("wage", "pension", "other_income")
FLAGS = ("state_employee", "state_pension", "security_forces", "law18_insured")

# The dwelling a family lives in, for the analysis only (`himaya simulate`): several families (the
# Law's unit, each on its own ration card) may share one household, whose income the poverty line is
# measured on. Optional; no rule reads it and the registry does not keep it.
HOUSEHOLD = Column("household_id", Kind.ID, required=False)

PEOPLE = TableSchema(
    columns=(
        Column("person_id", Kind.ID, required=True),
        Column("family_id", Kind.ID, required=True),
        Column("relationship", Kind.CODE, required=True, codes=RELATIONSHIPS),
        Column("sex", Kind.CODE, required=True, codes=SEXES),
        Column("birth_date", Kind.DATE, required=True),
        Column("death_date", Kind.DATE, required=False),
        Column("nationality", Kind.COUNTRY, required=True),
        Column("resident", Kind.BOOL, required=True),
        Column("marital_status", Kind.CODE, required=True, codes=MARITAL_STATUSES),
        Column("governorate", Kind.CODE, required=True, codes=governorates()),
        Column("permanent_resident", Kind.BOOL, required=False),
        Column("employed", Kind.BOOL, required=False),
        Column("disability_category", Kind.CODE, required=False, codes=DISABILITY_CATEGORIES),
        *(Column(name, Kind.MONEY, required=False) for name in INCOME_COLUMNS),
        Column("pmt_pc_welfare", Kind.MONEY, required=False, unknown_if_empty=True),
        Column("sp_category", Kind.CODE, required=False, codes=SP_CATEGORIES),
        Column("school_level", Kind.CODE, required=False, codes=SCHOOL_LEVELS),
        Column("enrolled", Kind.BOOL, required=False),
        Column("attending", Kind.BOOL, required=False),
        Column("pregnant", Kind.BOOL, required=False),
        *(Column(name, Kind.BOOL, required=False) for name in FLAGS),
        Column("ration_card", Kind.BOOL, required=False),
        Column("cares_for", Kind.ID, required=False),
        Column(
            "kinship_degree",
            Kind.PATTERN,
            required=False,
            pattern=r"^[1-9]$",
            rule="must be the degree of kinship to the person cared for, 1 to 9",
            rule_ar="يجب أن تكون درجة القرابة بالشخص المُعتنى به، من 1 إلى 9.",
        ),
    ),
    unique=("person_id",),
    one_per_group=(OnePerGroup(group="family_id", column="relationship", value="head"),),
    # The researcher's measured welfare is the family's: on the head's row, refused on another (never ignored).
    only_where=(OnlyWhere(column="pmt_pc_welfare", where="relationship", value="head"),),
    not_before=(NotBefore(column="death_date", reference="birth_date"),),
    currency=IQD,
)

# What a registry records beside it: the district (a place is one district), names, contact, bank.
REGISTRY = replace(
    PEOPLE.extended(
        Column("district", Kind.CODE, required=False, codes=districts()),
        *(
            Column(f"{part}_{script}", Kind.TEXT, required=False)
            for script in ("ar", "en")
            for part in ("given_name", "father_name", "grandfather_name", "family_name")
        ),
        Column(
            "mobile",
            Kind.PATTERN,
            required=False,
            pattern=r"^\+9647[0-9]{9}$",
            rule="must be an Iraqi mobile number: +964 then 10 digits starting with 7",
            rule_ar="يجب أن يكون رقم هاتف نقال عراقيًا: ‎+964 ثم 10 أرقام تبدأ بالرقم 7.",
        ),
        Column(
            "bank_code",
            Kind.PATTERN,
            required=False,
            pattern=r"^[A-Z]{4}$",
            rule="must be a bank code of 4 capital letters (as in the IBAN)",
            rule_ar="يجب أن يكون رمز مصرف من 4 حروف لاتينية كبيرة (كما في رقم الحساب الدولي).",
        ),
        Column(
            "iban",
            Kind.IBAN,
            required=False,
            pattern=r"^IQ[0-9]{2}[A-Z]{4}[0-9]{15}$",
            rule="must be an Iraqi IBAN: IQ, 2 check digits, a 4-letter bank code, a 3-digit branch,"
            " a 12-digit account",
            rule_ar="يجب أن يكون رقم حساب مصرفي دولي (IBAN) عراقيًا: IQ ثم رقما تحقق ثم رمز المصرف (4 حروف)"
            " ثم رقم الفرع (3 أرقام) ثم رقم الحساب (12 رقمًا).",
        ),
    ),
    # An Iraqi IBAN carries its bank's code (IQkk BBBB ...): a bank code beside it must be that one.
    part_of=(PartOf("bank_code", "iban", 2 + 2, 4),),
)
