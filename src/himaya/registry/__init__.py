"""L1: the registry's own logic: matching records of the same person (the store is in `himaya.db`)."""
