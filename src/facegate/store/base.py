"""The declarative base every room's tables register on, with stable constraint names for migrations."""

from typing import Any, cast

from sqlalchemy import CursorResult, MetaData, Result, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter them later (SQLite batch mode needs the names).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by all facegate tables (audit, vault, gate, ...)."""

    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Any]) -> Table:
    """The Table behind a mapped class (typed as a Table, which `Model.__table__` is not)."""
    return cast(Table, model.__table__)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (typed: `Session.execute` returns a Result, not a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount
