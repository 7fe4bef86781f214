"""Persistence. ``base`` holds the interface the domain uses; ``sql`` implements it with SQLAlchemy."""
