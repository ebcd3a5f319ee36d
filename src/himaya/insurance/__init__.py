"""Social insurance: employers, their monthly contribution declarations, the contributions due per
branch of insurance from the pack's dated rates, the payments received, arrears with the
late-payment surcharge, and each insured person's career (docs/insurance.md).

The same shape as every capability: `model.py` (branches, sectors, results, events), `rates.py`
(the dated parameters resolved for a month), `rules.py` (pure, vectorised decisions),
`files.py` (the input contracts of the employer register and the declarations), `ports.py` (the
store it needs) and `actions.py` (one function per use case, in a unit of work).
"""
