"""L2: the monthly payroll: payment lines, their states, and the rules that keep payments single."""
