"""The SQL adapter: SqlStore (SQLAlchemy) implements the store ports; the message append runs on
the drivers themselves (append_plan.py, sqlite_writer.py, pg_append.py); alembic migrations.
"""
