"""Every behavioural assumption of the synthetic Iraq, in one place, with its reason.

Rates by age bands as in `himaya.synth.assumptions` (`((from_age, value), ...)`). Values marked
CALIBRATED were set by running `himaya synth --pack iraq --report` and moving them until the
calibration table met its published targets (docs/synth.md, "A synthetic Iraq"); the others are
shaped on the sources named. Money is in Iraqi dinars a month.
"""

from __future__ import annotations

from dataclasses import dataclass

from himaya.synth.assumptions import Bands


@dataclass(frozen=True)
class IraqAssumptions:
    # Population: the 2024 census (final 46,118,793; KRI 14.03 % in the preliminary count).
    population: int = 46_118_793
    kri_share: float = 0.1403

    # Marital status by age (shares married, widowed, divorced; the rest single): early and
    # near-universal marriage of women, many war widows (SEFS/COSIT patterns as reported).
    men_married: Bands = ((0, 0.0), (18, 0.10), (20, 0.25), (25, 0.55), (30, 0.82), (35, 0.93), (65, 0.88), (75, 0.78))
    men_widowed: Bands = ((0, 0.0), (35, 0.005), (50, 0.02), (65, 0.06), (75, 0.15))
    men_divorced: Bands = ((0, 0.0), (25, 0.01), (35, 0.015), (60, 0.01))
    women_married: Bands = (
        (0, 0.0),
        (15, 0.12),
        (18, 0.35),
        (20, 0.55),
        (25, 0.70),
        (30, 0.80),
        (45, 0.76),
        (55, 0.66),
        (65, 0.48),
        (75, 0.30),
    )
    women_widowed: Bands = ((0, 0.0), (25, 0.01), (35, 0.03), (45, 0.07), (55, 0.15), (65, 0.32), (75, 0.55))
    women_divorced: Bands = ((0, 0.0), (20, 0.02), (25, 0.03), (35, 0.035), (55, 0.03))

    # Families (the shared machinery's parameters).
    sons_at_home: Bands = ((18, 0.95), (22, 0.9), (26, 0.75))
    daughters_at_home: Bands = ((18, 0.98), (30, 0.95), (35, 0.9))
    mother_age_at_birth: tuple[float, float] = (28.0, 6.5)
    husband_older_by: tuple[float, float] = (6.0, 4.0)
    polygamy: float = 0.02
    elderly_with_family: float = 0.6
    # Extended households: a young family lives in the household of the parents' generation
    # (CALIBRATED to 5.9 persons a household, SEFS 2024), by the young head's age; the family stays
    # a family of its own (the unit the Law pays), the household is the dwelling (`household_id`).
    join_parents: Bands = ((0, 0.0), (18, 0.88), (25, 0.8), (30, 0.65), (35, 0.4), (45, 0.08), (50, 0.0))
    join_gap: float = 27.0

    # Disability (census 2024 and MoLSA registers as reported: about 3 %); most severe ones qualify
    # for a caregiver; the age profile as Oman's.
    disability_prevalence: float = 0.03
    disability_age_profile: Bands = ((0, 1.0), (18, 1.0), (45, 1.6), (60, 3.0), (70, 5.0), (80, 8.0))
    caregiver_paid: float = 0.25  # severe conditions with a full-time caregiver registered

    # Work: employment by age and sex (labour force about 70 % of men, 11 % of women; unemployment
    # 13.5 %, SEFS 2024); who works for the state (about 4 million civil servants and 1.3 million in the
    # security forces), who is insured under Law 18/2023 (about 350,000 contributors).
    men_employed: Bands = ((0, 0.0), (15, 0.15), (18, 0.5), (25, 0.82), (30, 0.9), (50, 0.8), (60, 0.45), (65, 0.15))
    women_employed: Bands = ((0, 0.0), (18, 0.06), (25, 0.15), (30, 0.18), (50, 0.1), (60, 0.02))
    state_employee_share: float = 0.42  # of the employed
    security_forces_share: float = 0.25  # of the men working for the state
    law18_insured_share: float = 0.06  # of the employed in the private sector
    # Wages and other income (CALIBRATED to the poverty rate of 17.5 %, SEFS 2024, measured on
    # spending, 248,600 a person a month: the income columns stand in for it and come out above the
    # income SEFS reports, 201,300; see docs/synth.md).
    state_wage_median: float = 1_000_000.0
    state_wage_sigma: float = 0.35
    private_wage_median: float = 680_000.0
    private_wage_sigma: float = 0.3
    # State pensions (over 3 million pensioners; survivors included).
    pension_by_age: Bands = ((0, 0.0), (45, 0.06), (55, 0.25), (60, 0.45), (65, 0.55))
    survivor_pension: float = 0.35  # widows with a pension of the late husband
    pension_median: float = 550_000.0
    pension_sigma: float = 0.45
    other_income_share: float = 0.5  # adults with other income (transfers, rent, remittances, own produce)
    other_income_median: float = 200_000.0
    other_income_sigma: float = 0.5

    # The researcher's proxy-means-test score: the true income per person times a log-normal error
    # (CALIBRATED to the caseload of September 2025; the weights are unpublished). The score of a
    # larger household is raised by its size to `pmt_size_elasticity` (assets and dwelling do not
    # grow with every member), which brings the paid families to the published 3.6 persons.
    pmt_bias: float = -0.85
    pmt_sigma: float = 0.7
    pmt_size_elasticity: float = 0.4

    # School (enrolment by level; attendance of the enrolled in a month).
    enrolled: Bands = ((0, 0.0), (6, 0.92), (12, 0.72), (15, 0.52), (18, 0.25), (24, 0.04), (30, 0.0))
    attending: float = 0.96
    pregnant: float = 0.08  # married women of 15-49
    ration_card: float = 0.93
    resident: float = 0.995
    adults_with_mobile: float = 0.94
    # ASSUMED: the share of adults with an account the Authority can pay to. The World Bank's Findex
    # 2021 counts about one Iraqi adult in five with an account, but the subsidy is paid to card
    # accounts (Qi Card) opened for the beneficiaries; the registry's IBAN stands for that account.
    adults_with_account: float = 0.8
    # Bank codes of Iraqi IBANs (the 4 letters of the BIC) and their shares: Rafidain, Rasheed, the
    # Trade Bank of Iraq, the National Bank of Iraq (the shares ASSUMED).
    banks: tuple[tuple[str, float], ...] = (("RAFB", 0.45), ("RSHB", 0.35), ("TRIQ", 0.1), ("NBIQ", 0.1))
