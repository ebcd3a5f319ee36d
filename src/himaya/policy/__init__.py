"""L1: the rules. Dated parameters, policy packs, the vectorised engine and its explanations."""
