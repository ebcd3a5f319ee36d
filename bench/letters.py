"""Benchmark: a branch's batch of letters printed as one PDF (`adapters/letters.render_batch`), half in
Arabic and half in English, as `himaya notify letters` makes it.

    PYTHONPATH=src:. .venv/bin/python bench/letters.py [--letters 20 100]

Prints, for each batch size, the seconds and the letters a second. The store's part of a batch (one
SELECT of the branch's waiting letters, one UPDATE that marks them, one read of what is printed) is
small beside the printing: each letter is laid out by WeasyPrint as a document of its own.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from himaya.adapters.letters import render_batch
from himaya.cases.printing import printed_letter
from himaya.core.text import Text

DAY = date(2026, 1, 8)
SENDER = Text("Social Protection Fund", "صندوق الحماية الاجتماعية")


def row(n: int) -> dict[str, object]:
    arabic = n % 2 == 0
    return {
        "id": n,
        "language": "ar" if arabic else "en",
        "subject": f"استلام الشكوى C-2026-{n:06d}" if arabic else f"Complaint C-2026-{n:06d} received",
        "body": "استلمنا شكواكم وسنرد عليها خلال يومي عمل." if arabic else "We received your complaint.",
        "number": f"C-2026-{n:06d}",
        "branch": "Nizwa",
        "civil_number": f"{10_000_000 + n}",
        "given_name_ar": "خديجة",
        "family_name_ar": "الخروصي",
        "given_name_en": "Khadija",
        "family_name_en": "Al-Kharusi",
        "wilayat": "Nizwa",
        "governorate": "Ad Dakhiliyah",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--letters", type=int, nargs="+", default=[20, 100])
    args = parser.parse_args()
    render_batch([printed_letter(row(0), sender=SENDER, day=DAY, batch=1)])  # fonts loaded once
    for count in args.letters:
        letters = [printed_letter(row(n), sender=SENDER, day=DAY, batch=1) for n in range(count)]
        started = time.perf_counter()
        pdf = render_batch(letters)
        took = time.perf_counter() - started
        print(f"{count:>5} letters: {took:6.2f} s, {count / took:5.1f} letters/s, {len(pdf):,} bytes")


if __name__ == "__main__":
    main()
