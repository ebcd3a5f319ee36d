"""L2: life events: births, deaths, marriages and the calendar's events, received into an inbox and
applied to the registry by a worker, so that benefits start and stop without anyone asking."""
