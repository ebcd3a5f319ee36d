"""L2: enrollment: who is enrolled in which programme, from when to when, and why."""
