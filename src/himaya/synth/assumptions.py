"""Every behavioural assumption of the generator, in one place, with its reason.

Rates are given by age bands: `((from_age, value), ...)`, each value holding from its age until
the next band. docs/synth.md lists them with their sources; where no source was found the value
is ours and is chosen so that the engine reproduces the Fund's published counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Bands = tuple[tuple[int, float], ...]
AGES = np.arange(0, 111)


def by_age(bands: Bands) -> np.ndarray:
    """The value for every single age 0..110."""
    starts = np.array([b[0] for b in bands])
    values = np.array([b[1] for b in bands])
    return values[np.searchsorted(starts, AGES, side="right") - 1]


@dataclass(frozen=True)
class Assumptions:
    # Population totals at the end of 2023 (NCSI via press; shared/policy/oman.md section 6).
    omanis: int = 2_928_957
    expatriates: int = 2_236_645

    # Marital status of Omanis by age: shares married, widowed and divorced (the rest single).
    # Shaped on the 2020 census pattern as reported (early, near-universal marriage; widowhood
    # rising steeply for women after 50).
    men_married: Bands = ((0, 0.0), (18, 0.06), (20, 0.17), (25, 0.52), (30, 0.84), (35, 0.94), (60, 0.91), (75, 0.84))
    men_widowed: Bands = ((0, 0.0), (30, 0.005), (50, 0.015), (60, 0.04), (70, 0.08), (80, 0.16))
    men_divorced: Bands = ((0, 0.0), (25, 0.02), (35, 0.03), (60, 0.02))
    women_married: Bands = (
        (0, 0.0),
        (18, 0.15),
        (20, 0.45),
        (25, 0.70),
        (30, 0.82),
        (45, 0.78),
        (55, 0.70),
        (60, 0.62),
        (65, 0.52),
        (70, 0.40),
        (80, 0.25),
    )
    women_widowed: Bands = (
        (0, 0.0),
        (25, 0.006),
        (35, 0.012),
        (45, 0.03),
        (50, 0.06),
        (55, 0.10),
        (60, 0.18),
        (65, 0.28),
        (70, 0.45),
        (80, 0.65),
    )
    women_divorced: Bands = ((0, 0.0), (20, 0.03), (25, 0.05), (35, 0.06), (50, 0.05), (60, 0.04))

    # Expatriates: most married men have left their family at home.
    expatriate_men_married: Bands = ((0, 0.0), (20, 0.25), (25, 0.5), (30, 0.7))
    expatriate_women_married: Bands = ((0, 0.0), (20, 0.6), (25, 0.75))

    # Single sons up to 29 and daughters up to 39 live with a parent with these probabilities.
    sons_at_home: Bands = ((18, 0.95), (22, 0.85), (26, 0.6))
    daughters_at_home: Bands = ((18, 0.97), (30, 0.92), (35, 0.85))
    mother_age_at_birth: tuple[float, float] = (29.0, 6.0)  # mean, s.d.; clipped to 17-48
    husband_older_by: tuple[float, float] = (6.0, 4.0)  # mean, s.d.; clipped to 0-30
    polygamy: float = 0.015  # share of married men with a second wife registered
    elderly_with_family: float = 0.35  # widowed people of 70+ living in a child's family

    # Disability: 1.55 % of Omanis (2020 census), more frequent with age; most hold a card.
    disability_prevalence: float = 0.0155
    disability_age_profile: Bands = ((0, 1.0), (18, 1.0), (45, 1.6), (60, 3.0), (70, 5.0), (80, 8.0))
    disability_card: float = 0.945

    # Work and income of Omanis (OMR a month).
    men_employed: Bands = ((0, 0.0), (18, 0.20), (25, 0.62), (30, 0.80), (55, 0.55), (60, 0.05))
    women_employed: Bands = ((0, 0.0), (18, 0.08), (25, 0.32), (30, 0.36), (50, 0.20), (55, 0.10), (60, 0.01))
    wage_median: float = 650.0
    wage_sigma: float = 0.55
    minimum_wage: float = 325.0  # for Omanis in the private sector
    expatriate_wage_median: float = 240.0
    retired_with_pension: Bands = ((0, 0.0), (50, 0.25), (55, 0.45), (60, 0.62), (65, 0.6))
    pension_median: float = 420.0
    pension_sigma: float = 0.7
    # A death pension is paid when the deceased was insured; the survivors' shares.
    deceased_was_insured: float = 0.70
    widow_share_median: float = 150.0
    orphan_share_median: float = 115.0
    survivor_sigma: float = 0.6
    alimony_received: float = 0.65  # divorced women with children in their care
    alimony_median: float = 90.0
    other_income_share: float = 0.05
    other_income_median: float = 60.0
    # Assessed earning capacity of working-age adults (18-59) without work who are not disabled
    # and not students living with their parents.
    earning_capacity_assessed: float = 0.9
    men_earning_capacity_median: float = 300.0
    women_earning_capacity_median: float = 150.0
    earning_capacity_sigma: float = 0.45

    resident_omanis: float = 0.993  # the rest live abroad
    adults_with_bank_account: float = 0.95
    children_with_bank_account: float = 0.08
    adults_with_mobile: float = 0.97

    # Expatriates by country (shares of the expatriate population).
    expatriate_countries: tuple[tuple[str, float], ...] = (
        ("IN", 0.38),
        ("BD", 0.28),
        ("PK", 0.12),
        ("EG", 0.05),
        ("PH", 0.05),
        ("NP", 0.06),
        ("LK", 0.06),
    )
