"""Alembic migration environment and scripts for every room's tables."""
