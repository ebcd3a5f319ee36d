"""Languages of the front office: Arabic first, English per user. Every string goes through gettext,
from the Babel catalogs in `web/locale/{ar,en}/LC_MESSAGES/messages.po`, read at start (no compiled
file is kept in the repository). Numbers, dates and money are written per locale with Babel; the
Arabic-Indic digits (٠١٢...) are a user setting."""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from himaya.core.money import OMR, Currency

LANGUAGES = ("ar", "en")
DEFAULT = "ar"
DIGITS = ("latn", "arab")  # Western (0123) or Arabic-Indic (٠١٢٣) digits
CATALOGS = Path(__file__).parent / "locale"
_ARABIC_INDIC = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")
_BABEL_LOCALE = {"ar": "ar_OM", "en": "en_GB"}


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog, compiled in memory from its .po file."""
    path = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


@dataclass(frozen=True)
class Locale:
    """How one user reads: the language, which digits, and the currency amounts are in (the
    service's pack's: OMR, IQD)."""

    language: str = DEFAULT
    digits: str = "latn"
    currency: Currency = field(default=OMR, repr=False)

    @classmethod
    def of(cls, language: str | None, digits: str | None, currency: Currency = OMR) -> Locale:
        """From the user's cookies; anything unknown falls back to Arabic with Western digits.

        >>> Locale.of("fr", "roman")
        Locale(language='ar', digits='latn')
        """
        return cls(language if language in LANGUAGES else DEFAULT, digits if digits in DIGITS else "latn", currency)

    @property
    def direction(self) -> str:
        return "rtl" if self.language == "ar" else "ltr"

    def gettext(self, message: str) -> str:
        return translations(self.language).gettext(message)

    def figures(self, text: str) -> str:
        """A text with its digits in the reader's digits (civil numbers, case numbers)."""
        return text.translate(_ARABIC_INDIC) if self.digits == "arab" else text

    def number(self, value: int | Decimal) -> str:
        """A count in the reader's digits.

        >>> Locale("ar", "arab").number(1234)
        '١٬٢٣٤'
        """
        return self.figures(format_decimal(value, locale=_BABEL_LOCALE["en"]))

    def money(self, amount: int | None) -> str:
        """An amount in the currency's smallest unit, with the currency's decimals and its symbol:
        rials with three decimals (ر.ع. in Arabic, OMR in English), dinars whole.

        >>> Locale("en").money(162635)
        'OMR 162.635'
        >>> Locale("ar", "arab").money(80000)
        '٨٠٫٠٠٠ ر.ع.'
        >>> from himaya.core.money import Currency
        >>> from himaya.core.text import Text
        >>> Locale("en", currency=Currency("IQD", 0, Text("IQD", "د.ع."), "dinar", "125000")).money(275000)
        'IQD 275,000'
        """
        if amount is None:
            return ""
        currency = self.currency
        pattern = "#,##0" + ("." + "0" * currency.decimals if currency.decimals else "")
        text = format_decimal(Decimal(amount) / currency.per_unit, format=pattern, locale=_BABEL_LOCALE["en"])
        if self.language == "en":
            return f"{currency.code} {text}"
        return f"{self.figures(text)} {currency.symbol.ar}"

    def day(self, value: date | None) -> str:
        """A day (or a moment) as the reader writes it.

        >>> Locale("en").day(date(2026, 3, 5))
        '5 Mar 2026'
        """
        if value is None:
            return ""
        if isinstance(value, datetime):
            pattern = "d MMMM y, HH:mm" if self.language == "ar" else "d MMM y, HH:mm"
            return self.figures(format_datetime(value, pattern, locale=_BABEL_LOCALE[self.language]))
        pattern = "d MMMM y" if self.language == "ar" else "d MMM y"
        return self.figures(format_date(value, pattern, locale=_BABEL_LOCALE[self.language]))

    def month(self, period: str) -> str:
        """A month (YYYY-MM or a date's first ten characters) as the reader writes it.

        >>> Locale("en").month("2026-03"), Locale("ar").month("2026-03-01")
        ('Mar 2026', 'مارس 2026')
        """
        first = date(int(period[:4]), int(period[5:7]), 1)
        pattern = "MMMM y" if self.language == "ar" else "MMM y"
        return self.figures(format_date(first, pattern, locale=_BABEL_LOCALE[self.language]))
