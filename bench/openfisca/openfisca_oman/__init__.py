"""The Oman pack of Himaya as an OpenFisca country package, for the comparison benchmark only.

It encodes `shared/policy/oman.md` with the interpretations of `docs/policy/oman.md` (1 to 8), in
OpenFisca's own terms: entities Person and Family, YAML parameters, one variable per programme.
Money is integer baisa (OpenFisca `int`, numpy int32), never float: OpenFisca's `float` is float32,
which cannot hold a family's income to the baisa. It runs only in the separate virtualenv
`bench/out/ofvenv` (see `bench/openfisca_compare.py`); nothing in `src/` or `tests/` imports it.
"""

from __future__ import annotations

from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from openfisca_oman.entities import entities

HERE = Path(__file__).parent


class OmanTaxBenefitSystem(TaxBenefitSystem):
    def __init__(self) -> None:
        super().__init__(entities)
        self.add_variables_from_directory(str(HERE / "variables"))
        self.load_parameters(str(HERE / "parameters"))

    def get_package_metadata(self) -> dict[str, str]:
        """This package is not installed (it runs from `bench/openfisca`): say what it is without looking it up."""
        return {"name": "openfisca-oman (Himaya benchmark)", "version": "0.0.0", "location": str(HERE.parent)}
