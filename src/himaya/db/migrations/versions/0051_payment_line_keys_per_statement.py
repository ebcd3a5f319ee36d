"""On PostgreSQL, a payment line's references (its beneficiary and payee in `person`, its run in
`payroll_run`) are checked once per statement instead of once per line (issue 18).

A foreign key makes PostgreSQL run, after each inserted row, one query per key that finds and locks
the row it names (`SELECT 1 FROM person WHERE id = $1 FOR KEY SHARE`): three queries a line, 4.5
million for a month of Oman, most of the insert's time. The three foreign keys of `payment_line`
are replaced here by triggers that do the same work for a whole statement:

- after an INSERT (or COPY), one trigger per statement reads the new lines (a transition table),
  locks in one query each the people and the runs they name, FOR KEY SHARE as PostgreSQL's own
  check does, and counts them: a line naming a person or a run that is not there is refused with
  SQLSTATE 23503 (foreign_key_violation) naming the line, the column and the value, and the
  statement (so the run's whole transaction) fails;
- after an UPDATE that changes a line's run, beneficiary or payee, the new values are checked and
  locked the same way, line by line (the export's and the bank answers' updates change none of
  them, so the trigger is not even queued for them);
- on the referenced side, deleting a person or a run (or changing its id, or truncating the table)
  is refused while a line names it, as the foreign key's NO ACTION did. A person or a run deleted
  by a transaction running at REPEATABLE READ or SERIALIZABLE is refused outright: its snapshot
  could miss lines committed since it began (PostgreSQL's own check reads those with a second
  snapshot, which a trigger cannot take); Himaya never deletes either (a duplicate is merged).

Concurrency is PostgreSQL's own: the lock taken FOR KEY SHARE lets a merge or any update of a
person's other columns go on, and makes a DELETE of that person wait until the run commits or rolls
back, then see its lines and be refused; a person deleted before the lock is not found (READ
COMMITTED) or makes the insert fail to serialize (REPEATABLE READ). SQLite keeps its foreign keys.

Revision ID: 0051
Revises: 0050
"""

from __future__ import annotations

from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None

KEYS = (  # (constraint, column, referenced table)
    ("fk_payment_line_run_id_payroll_run", "run_id", "payroll_run"),
    ("fk_payment_line_person_id_person", "person_id", "person"),
    ("fk_payment_line_payee_id_person", "payee_id", "person"),
)

FUNCTIONS = r"""
CREATE FUNCTION payment_line_refused(line text, col text, val bigint, tab text, why text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = 'payment_line', COLUMN = col,
        MESSAGE = 'payment line ' || line || ': ' || col || ' = ' || val || ' ' || why,
        CONSTRAINT = 'fk_payment_line_' || col || '_' || tab,
        HINT = 'a payment line names a row of ' || tab || ' that exists (checked per statement, migration 0051)';
END $$;

CREATE FUNCTION payment_line_keys_inserted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    people bigint[];
    runs bigint[];
    locked bigint;
    bad record;
BEGIN
    SELECT coalesce(array_agg(k), '{}') INTO people
        FROM (SELECT person_id AS k FROM new_lines UNION SELECT payee_id FROM new_lines) AS named;
    -- The lock PostgreSQL's own check takes, on every person named, in one statement.
    SELECT count(*) INTO locked FROM (SELECT 1 FROM person p WHERE p.id = ANY (people) FOR KEY SHARE OF p) AS held;
    IF locked < cardinality(people) THEN
        SELECT l.end_to_end_id AS line,
               CASE WHEN NOT EXISTS (SELECT 1 FROM person p WHERE p.id = l.person_id) THEN 'person_id'
                    ELSE 'payee_id' END AS col,
               CASE WHEN NOT EXISTS (SELECT 1 FROM person p WHERE p.id = l.person_id) THEN l.person_id
                    ELSE l.payee_id END AS val
            INTO bad FROM new_lines l
            WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.id = l.person_id)
               OR NOT EXISTS (SELECT 1 FROM person p WHERE p.id = l.payee_id)
            ORDER BY l.end_to_end_id LIMIT 1;
        PERFORM payment_line_refused(bad.line, bad.col, bad.val, 'person', 'names no person of the registry');
    END IF;
    SELECT coalesce(array_agg(run_id), '{}') INTO runs FROM (SELECT DISTINCT run_id FROM new_lines) AS named;
    SELECT count(*) INTO locked FROM (SELECT 1 FROM payroll_run r WHERE r.id = ANY (runs) FOR KEY SHARE OF r) AS held;
    IF locked < cardinality(runs) THEN
        SELECT l.end_to_end_id AS line, l.run_id AS val INTO bad FROM new_lines l
            WHERE NOT EXISTS (SELECT 1 FROM payroll_run r WHERE r.id = l.run_id)
            ORDER BY l.end_to_end_id LIMIT 1;
        PERFORM payment_line_refused(bad.line, 'run_id', bad.val, 'payroll_run', 'names no payroll run');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION payment_line_keys_updated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM 1 FROM person p WHERE p.id = NEW.person_id FOR KEY SHARE OF p;
    IF NOT FOUND THEN
        PERFORM payment_line_refused(NEW.end_to_end_id, 'person_id', NEW.person_id, 'person',
                                     'names no person of the registry');
    END IF;
    PERFORM 1 FROM person p WHERE p.id = NEW.payee_id FOR KEY SHARE OF p;
    IF NOT FOUND THEN
        PERFORM payment_line_refused(NEW.end_to_end_id, 'payee_id', NEW.payee_id, 'person',
                                     'names no person of the registry');
    END IF;
    PERFORM 1 FROM payroll_run r WHERE r.id = NEW.run_id FOR KEY SHARE OF r;
    IF NOT FOUND THEN
        PERFORM payment_line_refused(NEW.end_to_end_id, 'run_id', NEW.run_id, 'payroll_run', 'names no payroll run');
    END IF;
    RETURN NULL;
END $$;

-- The referenced side: `gone` holds the keys of the persons or runs deleted, or whose id changed.
CREATE FUNCTION payment_line_keys_gone(tab text, gone bigint[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    bad record;
BEGIN
    IF tab = 'person' THEN
        SELECT l.end_to_end_id AS line, 'person_id' AS col, l.person_id AS val INTO bad
            FROM payment_line l WHERE l.person_id = ANY (gone) LIMIT 1;
        IF NOT FOUND THEN
            SELECT l.end_to_end_id AS line, 'payee_id' AS col, l.payee_id AS val INTO bad
                FROM payment_line l WHERE l.payee_id = ANY (gone) LIMIT 1;
        END IF;
    ELSE
        SELECT l.end_to_end_id AS line, 'run_id' AS col, l.run_id AS val INTO bad
            FROM payment_line l WHERE l.run_id = ANY (gone) LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = tab,
            MESSAGE = 'payment line ' || bad.line || ': ' || bad.col || ' = ' || bad.val || ' still names this '
                      || tab || ': it cannot be deleted',
            CONSTRAINT = 'fk_payment_line_' || bad.col || '_' || tab;
    END IF;
END $$;

CREATE FUNCTION payment_line_keys_deleted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    gone bigint[];
BEGIN
    SELECT array_agg(id) INTO gone FROM old_rows;
    IF gone IS NULL THEN
        RETURN NULL;
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
            MESSAGE = 'a ' || TG_TABLE_NAME || ' is deleted only at READ COMMITTED (payment lines committed since '
                      || 'this transaction began could name it)';
    END IF;
    PERFORM payment_line_keys_gone(TG_TABLE_NAME, gone);
    RETURN NULL;
END $$;

CREATE FUNCTION payment_line_keys_renumbered() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
            MESSAGE = 'the id of a ' || TG_TABLE_NAME || ' is changed only at READ COMMITTED';
    END IF;
    PERFORM payment_line_keys_gone(TG_TABLE_NAME, ARRAY[OLD.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION payment_line_keys_truncated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM payment_line) THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
            MESSAGE = 'payment lines name rows of ' || TG_TABLE_NAME || ': it cannot be truncated';
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = r"""
CREATE TRIGGER payment_line_keys_inserted AFTER INSERT ON payment_line
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION payment_line_keys_inserted();
CREATE TRIGGER payment_line_keys_updated AFTER UPDATE OF run_id, person_id, payee_id ON payment_line
    FOR EACH ROW WHEN (OLD.run_id IS DISTINCT FROM NEW.run_id OR OLD.person_id IS DISTINCT FROM NEW.person_id
                       OR OLD.payee_id IS DISTINCT FROM NEW.payee_id)
    EXECUTE FUNCTION payment_line_keys_updated();
CREATE TRIGGER payment_line_keys_deleted AFTER DELETE ON person
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_line_keys_deleted();
CREATE TRIGGER payment_line_keys_deleted AFTER DELETE ON payroll_run
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_line_keys_deleted();
CREATE TRIGGER payment_line_keys_renumbered AFTER UPDATE OF id ON person
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION payment_line_keys_renumbered();
CREATE TRIGGER payment_line_keys_renumbered AFTER UPDATE OF id ON payroll_run
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION payment_line_keys_renumbered();
CREATE TRIGGER payment_line_keys_truncated BEFORE TRUNCATE ON person
    FOR EACH STATEMENT EXECUTE FUNCTION payment_line_keys_truncated();
CREATE TRIGGER payment_line_keys_truncated BEFORE TRUNCATE ON payroll_run
    FOR EACH STATEMENT EXECUTE FUNCTION payment_line_keys_truncated();
"""

DROPPED = r"""
DROP TRIGGER payment_line_keys_inserted ON payment_line;
DROP TRIGGER payment_line_keys_updated ON payment_line;
DROP TRIGGER payment_line_keys_deleted ON person;
DROP TRIGGER payment_line_keys_deleted ON payroll_run;
DROP TRIGGER payment_line_keys_renumbered ON person;
DROP TRIGGER payment_line_keys_renumbered ON payroll_run;
DROP TRIGGER payment_line_keys_truncated ON person;
DROP TRIGGER payment_line_keys_truncated ON payroll_run;
DROP FUNCTION payment_line_keys_inserted();
DROP FUNCTION payment_line_keys_updated();
DROP FUNCTION payment_line_keys_deleted();
DROP FUNCTION payment_line_keys_renumbered();
DROP FUNCTION payment_line_keys_truncated();
DROP FUNCTION payment_line_keys_gone(text, bigint[]);
DROP FUNCTION payment_line_refused(text, text, bigint, text, text);
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps its foreign keys (checked per row in its own engine, cheaply)
    # The triggers first, so that no moment of this transaction is without either check.
    for statement in _statements(FUNCTIONS) + _statements(TRIGGERS):
        op.execute(statement)
    for name, _, _ in KEYS:
        op.drop_constraint(name, "payment_line", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column, table in KEYS:  # every existing line checked again, in one join each
        op.create_foreign_key(name, "payment_line", table, [column], ["id"])
    for statement in _statements(DROPPED):
        op.execute(statement)


def _statements(script: str) -> list[str]:
    """One statement at a time (a driver may refuse several in one call); a function's body ends `END $$;`."""
    if "$$" in script:
        return [part.strip() + " END $$" for part in script.split("END $$;") if part.strip()]
    return [part.strip() for part in script.split(";") if part.strip()]
