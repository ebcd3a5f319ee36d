"""The synthetic Iraqis' mobile numbers and bank accounts (Iraqi IBANs), drawn from a generator of
their own, so that adding them left every other column of a seed's table as it was."""

from __future__ import annotations

import numpy as np
import polars as pl

from himaya.synth.iraq.assumptions import IraqAssumptions

# "IQ" as ISO 13616 numbers (I = 18, Q = 26), then the check digits' place: 182600.
_COUNTRY = 182600


def _letters(code: str) -> int:
    """A bank code's letters as ISO 13616 numbers (A = 10 ... Z = 35), two digits each."""
    return int("".join(str(ord(c) - 55) for c in code))


def iban_check_digits(bank: np.ndarray, branch: np.ndarray, account: np.ndarray) -> np.ndarray:
    """ISO 13616 check digits of IQ + bank (4 letters, as numbers) + branch (3 digits) + account
    (12 digits), vectorised: 98 minus the remainder of BBAN + "IQ00", in int64-safe steps."""
    remainder = (bank % 97) * pow(10, 15, 97) % 97
    remainder = (remainder + (branch % 97) * pow(10, 12, 97)) % 97
    remainder = (remainder + account % 97) % 97
    remainder = (remainder * pow(10, 6, 97) + _COUNTRY) % 97
    return 98 - remainder


def contact_columns(seed: int, age: np.ndarray, a: IraqAssumptions) -> dict[str, pl.Series]:
    """`mobile`, `bank_code` and `iban` for adults (age in years), by the assumptions' shares."""
    rng = np.random.default_rng([seed, 964])
    n = age.size
    adult = age >= 18
    mobile = adult & (rng.random(n) < a.adults_with_mobile)
    subscriber = rng.integers(7_000_000_000, 8_000_000_000, size=n, dtype=np.int64)
    has_account = adult & (rng.random(n) < a.adults_with_account)
    codes = [code for code, _ in a.banks]
    share = np.array([s for _, s in a.banks])
    bank = rng.choice(len(codes), size=n, p=share / share.sum())
    branch = rng.integers(0, 1000, size=n)
    account = rng.integers(0, 10**12, size=n, dtype=np.int64)
    check = iban_check_digits(np.array([_letters(c) for c in codes])[bank], branch, account)
    frame = pl.DataFrame({"subscriber": subscriber, "bank": np.array(codes)[bank], "check": check})
    frame = frame.with_columns(branch=pl.Series(branch), account=pl.Series(account))
    columns = frame.select(
        pl.when(pl.Series(mobile)).then(pl.format("+964{}", pl.col("subscriber"))).alias("mobile"),
        pl.when(pl.Series(has_account)).then(pl.col("bank")).alias("bank_code"),
        pl.when(pl.Series(has_account))
        .then(
            pl.concat_str(
                pl.lit("IQ"),
                pl.col("check").cast(pl.String).str.zfill(2),
                pl.col("bank"),
                pl.col("branch").cast(pl.String).str.zfill(3),
                pl.col("account").cast(pl.String).str.zfill(12),
            )
        )
        .alias("iban"),
    )
    return {name: columns[name] for name in columns.columns}
