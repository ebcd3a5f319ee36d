"""L2: a synthetic Oman, calibrated to official figures, for demos, tests and benchmarks."""
