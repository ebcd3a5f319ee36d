"""The people table: the input contract of the Oman pack (policy/oman.md, section 3)."""

from __future__ import annotations

from himaya.core.money import OMR
from himaya.policy.schema import Column, Kind, NotBefore, OnePerGroup, TableSchema

RELATIONSHIPS = ("head", "spouse", "child", "other")
SEXES = ("F", "M")
MARITAL_STATUSES = ("single", "married", "divorced", "widowed")
DISABILITY_CATEGORIES = (
    "autism",
    "down_syndrome",
    "intellectual",
    "visual",
    "hearing",
    "physical",
    "other_approved",
)
INCOME_COLUMNS = ("wage", "pension", "survivor_pension", "alimony", "other_income", "earning_capacity")
# The most a monthly income may be, in baisa (ASSUMED: 1,000,000 OMR a month, some 3,000 times the
# minimum wage): a larger figure is a typing error, refused wherever a people table is read, so that
# no write path (an import, an officer, an approval with an override) stores one.
MAX_MONTHLY_INCOME = 1_000_000_000

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
        Column("has_children", Kind.BOOL, required=False),
        Column("employed", Kind.BOOL, required=False),
        Column("disability_category", Kind.CODE, required=False, codes=DISABILITY_CATEGORIES),
        Column("disability_card", Kind.BOOL, required=False),
        Column("father_deceased", Kind.BOOL, required=False),
        Column("mother_deceased", Kind.BOOL, required=False),
        *(Column(name, Kind.MONEY, required=False, maximum=MAX_MONTHLY_INCOME) for name in INCOME_COLUMNS),
    ),
    unique=("person_id",),
    one_per_group=(OnePerGroup(group="family_id", column="relationship", value="head"),),
    not_before=(NotBefore(column="death_date", reference="birth_date"),),
    currency=OMR,
)
