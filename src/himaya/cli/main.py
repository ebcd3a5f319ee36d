"""`himaya`: the command line. Every command exits 0 on success; a refusal exits with the status of
its category (`cli/app.py`: 2 bad input or usage, 3 not found, 4 conflict, 5 forbidden)."""

from __future__ import annotations

from himaya.cli import analysis, demo, partners, payroll, policy, registry, synth, users  # noqa: F401  (each module registers its commands on `app`)
from himaya.cli.app import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
