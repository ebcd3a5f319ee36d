"""The statement of entitlements as a letter to the family (`core/letter.Letter`), in Arabic or English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from himaya.core.letter import Letter, LetterBlock, LetterLine
from himaya.core.text import Language, Text
from himaya.policy.statement import Member, Statement, money, month_name

WORDS = {
    "title": Text("Statement of entitlements", "بيان الاستحقاقات"),
    "family": Text("Family number", "رقم الأسرة"),
    "month": Text("Month", "الشهر"),
    "date": Text("Date", "التاريخ"),
    "to": Text("To", "إلى"),
    "civil": Text("Civil number", "الرقم المدني"),
    "family_of": Text("The family of", "أسرة"),
    "greeting": Text("Greetings,", "تحية طيبة وبعد،"),
    "closing": Text(
        "If you think any of these figures is wrong, you may ask your branch to correct it or lodge a grievance.",
        "إذا رأيتم أن أياً من هذه البيانات غير صحيح، يمكنكم مراجعة الفرع لتصحيحه أو تقديم شكوى.",
    ),
}


def written_date(day: date, language: Language, names: Mapping[str, Text] | None = None) -> str:
    """A date as a letter writes it: 30 November 2026, ٣٠ نوفمبر ٢٠٢٦ (in Western digits, as the Fund does;
    in Arabic the month by the pack's `names` where it has them: ٣٠ تشرين الثاني ٢٠٢٦)."""
    return f"{day.day} {month_name(f'{day.year}-{day.month:02d}', language, names)}"


def entitlements_letter(
    result: Statement,
    language: Language,
    *,
    sender: Text,
    head: tuple[str, Member] | None,
    day: date,
) -> Letter:
    """The family's statement for its month as a letter to the head of the family (`head`: civil
    number and name), dated `day`."""

    def w(key: str) -> str:
        return WORDS[key].in_(language)

    addressee: tuple[str, ...] = ()
    if head is not None:
        civil, member = head
        name = member.name.in_(language)
        addressee = (f"{w('to')}: {name}" if name else f"{w('to')}: {w('family_of')} {result.family_id}",)
        addressee += (f"{w('civil')}: {civil}",)
    currency = result.currency
    assert currency is not None, "a letter states amounts in the pack's currency"
    total = money(result.total, language, currency)
    month = month_name(result.period, language, result.month_names)
    opening = (
        f"We confirm that your family's entitlements for {month} come to {total},"
        " as set out below, with how each amount is worked out and the law it rests on."
        if language == "en"
        else f"نفيدكم بأن مجموع ما تستحقه أسرتكم عن شهر {month} هو {total}،"
        " وتفصيله فيما يلي مع طريقة حساب كل مبلغ والسند النظامي له."
    )
    blocks = tuple(
        LetterBlock(
            section.title.in_(language),
            None if section.amount is None else money(section.amount, language, currency),
            tuple(
                # A line indented in the statement (an income's component) is a "part" of the one above it.
                LetterLine(text.strip(), None, f"{line.kind} part" if text.startswith(" ") else line.kind)
                for line in section.lines
                for text in (line.text.in_(language),)
            ),
        )
        for section in result.sections
    )
    return Letter(
        language=language,
        sender=sender.in_(language),
        title=w("title"),
        reference=(
            (w("family"), result.family_id),
            (w("month"), month),
            (w("date"), written_date(day, language, result.month_names)),
        ),
        addressee=addressee,
        opening=(w("greeting"), opening),
        blocks=blocks,
        closing=(w("closing"),),
    )


def head_of(members: Mapping[str, Member], relationships: Mapping[str, str]) -> tuple[str, Member] | None:
    """The head of the family among `members` (person id -> relationship code "head")."""
    for person_id, relationship in relationships.items():
        if relationship == "head":
            return person_id, members.get(person_id, Member(Text("", "")))
    return None
