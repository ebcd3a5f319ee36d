"""The synthetic Iraq: the Iraq pack's people table, drawn with the shared population machinery
(`himaya.synth.population`) from Iraq's own data (`data/`, sources in `data/README.md`)."""
