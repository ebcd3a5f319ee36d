"""Policy analysis: reform simulation on a population, and cost projections to 2050 (docs/analysis.md)."""
