"""L4: the composition root. The one place that reads the settings and wires adapters (the store,
bank files, passwords, charts) to the capabilities, for the command line and the service alike."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from functools import cache, partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from himaya.analysis.project import SAMPLE_DAY, Inputs
from himaya.bootstrap import busy as store_busy
from himaya.cases.model import ApplicationApproved
from himaya.core import clock
from himaya.core.access import Permission, Principal
from himaya.core.errors import ConflictError, UsageError
from himaya.core.events import Event, Handlers, dispatch
from himaya.core.periods import Period
from himaya.core.settings import Settings
from himaya.db.audit_keys import use_keys as use_audit_keys
from himaya.events.model import LifeEventsApplied
from himaya.payroll.bank import BankReply, Payer
from himaya.payroll.rules import valid_iban
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack, refuse_foreign_table
from himaya.policy.parameters import ParameterTree
from himaya.policy.reforms import load_reform
from himaya.policy.table import validate_table
from himaya.synth.countries import country as synth_country
from himaya.synth.generate import SynthRequest

# The store (SQLAlchemy, Alembic), the bank files (lxml), passwords (argon2), datasets (pyarrow)
# and the logins are imported where a function needs them, not here: every command imports this
# package, and `himaya project` (or `--help`) needs none of them (docs/insurance.md, "Speed").
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from himaya.adapters import iso20022
    from himaya.adapters.evidence import FolderEvidence
    from himaya.adapters.passwords import hash_password as hash_password
    from himaya.adapters.passwords import verify_password as verify_password
    from himaya.adapters.passwords import weak_password as weak_password
    from himaya.adapters.records import PackContract
    from himaya.bootstrap import login, payroll
    from himaya.bootstrap.public import PUBLIC_MONTHS as PUBLIC_MONTHS
    from himaya.bootstrap.public import public_statistics as public_statistics
    from himaya.cases.applications import Desk
    from himaya.db.uow import SqlUnitOfWork

    payment_file_writer = iso20022.write_pain001
    payroll_store = payroll

# What `bootstrap.NAME` reads from a module imported on first use (PEP 562): name -> (module, attribute).
_LAZY = {
    "payment_file_writer": ("himaya.adapters.iso20022", "write_pain001"),  # ISO 20022 pain.001.001.09
    "payroll_store": ("himaya.bootstrap.payroll", None),  # the payroll's and enrollment's actions on an engine
    "hash_password": ("himaya.adapters.passwords", "hash_password"),  # passwords and client secrets: argon2id
    "verify_password": ("himaya.adapters.passwords", "verify_password"),
    "weak_password": ("himaya.adapters.passwords", "weak_password"),
    "PUBLIC_MONTHS": ("himaya.bootstrap.public", "PUBLIC_MONTHS"),
    "public_statistics": ("himaya.bootstrap.public", "public_statistics"),
    "family_letter": ("himaya.bootstrap.letters", "family_letter"),  # a family's statement, as a letter
}


def __getattr__(name: str) -> Any:
    """The names of `_LAZY`, imported on first use (and kept: the next read is a plain attribute)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = import_module(module) if attribute is None else getattr(import_module(module), attribute)
    globals()[name] = value
    return value


PLACE_COLUMNS = ("governorate",)  # what the analysis reports by

_settings: Settings | None = None


def configure(settings: Settings | None = None) -> Settings:
    """Read the settings (default: from the environment) for the entry point that starts now:
    each command of the CLI calls it once, and so does the service when it starts."""
    global _settings  # noqa: PLW0603  (the composition root holds the one settings object)
    _settings = settings or Settings.from_environ()
    use_audit_keys(_settings.audit_key, _settings.audit_previous_keys)
    return _settings


def settings() -> Settings:
    """The settings read by `configure` (read now if no entry point configured them)."""
    return _settings or configure()


def database_url(name: str = "himaya") -> str:
    """The configured database, or the SQLite file `NAME.db` in the user's data folder."""
    from himaya.db.engine import default_url  # noqa: PLC0415

    return default_url(name, settings().database_url)


def load_people(path: Path, pack: PolicyPack, *, registry: bool = False) -> pl.DataFrame:
    """Read a people table (CSV or Parquet) and validate it against the pack's contract (with
    `registry`, the contract of a registry import: the people table and the registry columns)."""
    from himaya.adapters.datasets import read_table_or_dataset  # noqa: PLC0415  (pyarrow)
    from himaya.adapters.tables import read_table  # noqa: PLC0415

    raw = read_table(path) if registry else read_table_or_dataset(path)  # an import hashes its one file
    refuse_foreign_table(raw.columns, pack, source=str(path))
    return validate_table(raw, pack.registry if registry else pack.schema, source=str(path))


def load_tree(pack: PolicyPack, reform: Path | None = None) -> ParameterTree:
    """The pack's parameters, with a reform laid over them when one is given."""
    tree = pack.parameters
    if reform is not None:
        tree = load_reform(reform, tree).apply(tree)
        pack.check_parameters(tree)
    return tree


@cache
def synthetic_sample(persons: int, seed: int, pack: str = "oman") -> pl.DataFrame:
    """The synthetic population a projection runs the rules on (the same for the same size and seed)."""
    request = SynthRequest(persons=persons, seed=seed, as_of=SAMPLE_DAY)
    country = synth_country(pack)
    people = country.generate(request, None).people
    schema = load_pack(pack).schema
    if set(schema.names) <= set(people.columns):
        return people
    # A generator that leaves optional columns out (Iraq's): the table as its pack's contract reads it.
    return validate_table(country.for_file(people, "parquet"), schema, source="synthetic sample")


def projection_inputs(pack: str = "oman") -> Inputs:
    """The pack's synthetic population and its share of citizens by age, for `himaya.analysis.project`."""
    country = synth_country(pack)
    return Inputs(sample=partial(_sample_of, pack), citizen_share=country.citizen_share())


def _sample_of(pack: str, persons: int, seed: int) -> pl.DataFrame:
    return synthetic_sample(persons, seed, pack)


def cli_login() -> login.CommandLineLogin:
    """The command line's login (`himaya login`) on the configured store."""
    from himaya.bootstrap import login  # noqa: PLC0415  (the store's users)

    return login.CommandLineLogin(registry_engine, settings())


def actor(given: str | None = None) -> str:
    """Who acts at the command line: the user logged in (an `--actor` given must name them); with
    nobody logged in, `--actor`, else `HIMAYA_ACTOR`, else the operating-system user."""
    return cli_login().actor(given, settings().actor or f"cli:{getpass.getuser()}")


def logged_in(given: str | None = None) -> Principal:
    """The logged-in user of the store, with their roles and branches (the cases' and notices' steps)."""
    return cli_login().principal(given)


def acting_user(permission: Permission, given: str | None = None) -> str:
    """The logged-in user of the store, who must hold `permission` (the payroll's steps)."""
    return cli_login().acting_user(permission, given)


def registry_engine(url: str | None = None, *, migrated: bool = True, service: bool = False) -> Engine:
    """The store's engine; with `migrated`, refuse a store that `himaya db upgrade` has not brought up to date
    (`service`: pooled for a server, see `connect`)."""
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415  (the store, only when a command opens it)

    from himaya.db.engine import connect  # noqa: PLC0415
    from himaya.db.migrate import current_revision, head_revision  # noqa: PLC0415

    engine = connect(url or database_url(), service=service)
    if migrated:
        try:
            current = current_revision(engine)
        except OperationalError as error:
            if store_busy.busy(error):
                raise ConflictError(store_busy.SAID) from None
            raise UsageError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {error.orig}"
            ) from None
        if current != head_revision(engine):
            raise UsageError(
                f"the database {engine.url.render_as_string(hide_password=True)} is at revision {current or 'none'}, "
                f"not {head_revision(engine)}: run `himaya db upgrade` first"
            )
    return engine


def replan_enrollments(engine: Engine, event: LifeEventsApplied) -> None:
    """Life events applied: the enrollments of their families planned again for this month."""
    from himaya.db.enrollments import replan_families  # noqa: PLC0415

    pack = pack_of_store(engine)  # the registry's pack, as the service and the commands work under
    day = clock.today(pack.timezone)
    replan_families(engine, pack, Period.containing(day), event.notes(), actor=event.actor, today=day)
    uow = unit_of_work(engine)  # planned: no longer due (were the process killed here, planning again changes nothing)
    with uow:
        uow.events.replanned([event_id for _, event_id, _ in event.causes])
        uow.commit()


def replan_after_application(engine: Engine, event: ApplicationApproved) -> None:
    """A case's decision wrote facts (an application or a change approved, a refusal reversed on
    appeal): the family's enrollments planned again for the month of the decision, a programme
    without a start rule of its own due from the month of the application (`event.since`)."""
    from himaya.db.enrollments import replan_families  # noqa: PLC0415

    pack = pack_of_store(engine)  # the registry's pack, as the service and the commands work under
    day = event.day or clock.today(pack.timezone)
    notes = {event.family: f"after {event.what} {event.case}"}
    applied = {event.family: (event.programme, event.since)} if event.since is not None else None
    replan_families(engine, pack, Period.containing(day), notes, actor=event.actor, today=day, applied=applied)


def evidence_files() -> FolderEvidence:
    """The evidence folder: HIMAYA_EVIDENCE_DIR, or `evidence` in the user's data folder."""
    from himaya.adapters.evidence import FolderEvidence, default_folder  # noqa: PLC0415

    return FolderEvidence(settings().evidence_dir or default_folder())


def application_desk(pack: PolicyPack) -> Desk:
    """What deciding an application needs: the registry's contract and the pack's rules."""
    from himaya.cases.applications import Desk  # noqa: PLC0415

    return Desk(registry_contract(pack), pack)


# What reacts to which event, after the acting transaction committed: one table to read.
# (Notifications and the DCI notify add their handlers here.)
HANDLERS: Handlers = {}
# The same, for handlers that work on the store the acting transaction committed to.
STORE_HANDLERS: Mapping[type[Event], Sequence[Callable[[Engine, Any], None]]] = {
    LifeEventsApplied: (replan_enrollments,),
    ApplicationApproved: (replan_after_application,),
}


def handle(events: Sequence[Event], engine: Engine | None = None) -> None:
    dispatch(events, HANDLERS)
    if engine is not None:
        bound = {kind: [partial(h, engine) for h in hs] for kind, hs in STORE_HANDLERS.items()}
        dispatch(events, bound)


def unit_of_work(engine: Engine | None = None) -> SqlUnitOfWork:
    """A unit of work on `engine` (default: the configured store), its events wired to `HANDLERS`
    and `STORE_HANDLERS`."""
    from himaya.db.uow import SqlUnitOfWork  # noqa: PLC0415

    store = engine or registry_engine()
    return SqlUnitOfWork(store, dispatch=partial(handle, engine=store))


def people_with_places(raw: pl.DataFrame, pack: PolicyPack, *, source: str) -> pl.DataFrame:
    """A people table validated against the pack's contract, with its place columns when it has them
    (validated like a registry import's): what the analysis reports by; and the pack's household
    column when it has it (`AnalysisInputs.household`): what poverty is measured on."""
    refuse_foreign_table(raw.columns, pack, source=source)
    extra = [pack.registry.column(c) for c in PLACE_COLUMNS if c in raw.columns and c in pack.registry.names]
    household = pack.analysis.household if pack.analysis is not None else None
    if household is not None and household.name in raw.columns:  # what poverty is measured on
        extra.append(household)
    return validate_table(raw, pack.schema.extended(*extra), source=source)


def people_for(
    pack: PolicyPack, path: Path | None, *, registry: bool, period: Period, places: bool = False
) -> pl.DataFrame:
    """The people table a command works on: a file, or the registry as it stood at the period's end.

    With `places`, the registry's governorate column is kept when the file has it (validated like
    a registry import), and read from the registry.
    """
    if (path is None) == (not registry):
        raise UsageError("give a people table (PEOPLE) or --registry, not both and not neither")
    from himaya.adapters.tables import read_table  # noqa: PLC0415
    from himaya.db.registry_pack import attribute_types, check_pack  # noqa: PLC0415
    from himaya.db.snapshot import people_query, read_people  # noqa: PLC0415

    if path is not None:
        return people_with_places(read_table(path), pack, source=str(path)) if places else load_people(path, pack)
    engine = registry_engine()
    with engine.connect() as connection:
        check_pack(connection, pack.name)
        kinds = attribute_types(connection)
        query = people_query(period.end, registry=places, awards=True, attributes=kinds)
        people = read_people(connection, query, attributes=kinds)
    if places:
        people = people.drop(c for c in pack.registry.names if c not in pack.schema.names and c not in PLACE_COLUMNS)
    heads = (
        people.group_by("family_id")
        .agg((pl.col("relationship") == "head").sum().alias("heads"))
        .filter(pl.col("heads") != 1)
    )
    if heads.height:
        listed = ", ".join(f"{f} ({n} heads)" for f, n in heads.head(10).iter_rows())
        raise UsageError(f"the registry on {period.end} has families without exactly one head: {listed}")
    return people


def read_bank_reply(path: Path, pack: PolicyPack) -> BankReply:
    """A bank's answer file (ISO 20022 pain.002, camt.054 or camt.053), validated, its amounts read in
    the pack's currency (the registry's: it pays its people in it); a clear error otherwise."""
    from himaya.adapters.iso20022 import BankFileError, read_bank_file  # noqa: PLC0415  (lxml)

    try:
        return read_bank_file(path, pack.currency)
    except BankFileError as error:
        raise UsageError(str(error)) from None


DEMO_PAYER = Payer("Social Protection Fund", "OM810180000001299123456", "BMUSOMRXXXX")


def payer(pack: PolicyPack | None = None) -> Payer:
    """The Fund's own account, from HIMAYA_PAYER_IBAN / _BIC / _NAME: money is never sent from an
    account nobody configured. The demonstration account is refused here (only `himaya demo`
    passes it, explicitly), as is an IBAN whose check digits are wrong."""
    configured = settings()
    iban, bic = configured.payer_iban, configured.payer_bic
    if not iban or iban == DEMO_PAYER.iban:
        said = "is the demonstration account" if iban else "is not set"
        raise UsageError(
            f"HIMAYA_PAYER_IBAN {said}: set HIMAYA_PAYER_IBAN, HIMAYA_PAYER_BIC and HIMAYA_PAYER_NAME to the "
            "Fund's own account (the demonstration account is for `himaya demo` only); nothing was done"
        )
    if not valid_iban(iban):
        raise UsageError(f"HIMAYA_PAYER_IBAN {iban!r} is not a valid IBAN (check digits); nothing was done")
    if not bic:
        raise UsageError("HIMAYA_PAYER_BIC is not set: the BIC of the Fund's bank; nothing was done")
    currency = (pack or load_pack(configured.pack)).currency  # the registry's pack's: it pays its people in it
    return Payer(configured.payer_name or DEMO_PAYER.name, iban, bic, currency.code, currency.decimals)


def registry_pack(name: str | None = None) -> PolicyPack:
    """The pack a command on the registry works under: `name`, else the installation's (HIMAYA_PACK),
    else the one the registry recorded at its first import (else Oman's); refused if the registry
    holds another pack's people (`db/registry_pack.py`)."""
    return pack_of_store(registry_engine(), name)


def pack_of_store(engine: Engine, name: str | None = None) -> PolicyPack:
    """The pack the store at `engine` works under, for a command and for the service alike: `name`,
    else HIMAYA_PACK when set, else the pack the registry recorded at its first import (else Oman's);
    refused (RegistryPackError, naming both) if the registry holds another pack's people."""
    from himaya.db.registry_pack import check_pack, recorded_pack  # noqa: PLC0415

    configured = settings()
    if name is not None:
        load_pack(name)  # a name that is no pack (`--pack ""`) is refused before the store is read
    with engine.connect() as connection:
        recorded = recorded_pack(connection)
        chosen = name or (configured.pack if configured.pack_given or recorded is None else recorded)
        check_pack(connection, chosen)
    return load_pack(chosen)


def registry_contract(pack: PolicyPack) -> PackContract:
    """The pack's registry contract with the registry's rules, for every write to the registry."""
    from himaya.adapters.records import PackContract  # noqa: PLC0415

    return PackContract(pack, days_ahead=settings().registry_days_ahead)
