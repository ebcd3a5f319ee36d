"""L3: the operational store: SQLAlchemy tables, Alembic migrations, bulk paths, the audit chain."""
