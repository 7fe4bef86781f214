"""The SQL adapter: SqlStore (SQLAlchemy) implements the store ports; the send path and the steps
every connection takes run as plans on the drivers themselves (plan.py, append_plan.py,
connect_plan.py), group-committed by SQLite's writer thread (sqlite_writer.py) or PostgreSQL's
writer task (pg_writer.py, pg_lockstep.py; reads on pg_append.py's pool); alembic migrations.
"""
