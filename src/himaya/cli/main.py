"""`himaya`: the command line. Every command exits 0 on success and 2 on bad input or usage."""

from __future__ import annotations

from himaya.cli import analysis, demo, payroll, policy, registry, synth, users  # noqa: F401  (each module registers its commands on `app`)
from himaya.cli.app import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
