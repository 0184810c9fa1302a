"""The database layer every room uses: engine from a URL, sessions, the shared declarative Base, migrations."""

from facegate.store.base import Base, rowcount, table_of
from facegate.store.database import DRIVERS, Database, Driver, Statements, database_url, make_engine
from facegate.store.migrate import upgrade
from facegate.store.types import BigId, UTCDateTime

__all__ = [
    "DRIVERS",
    "Base",
    "BigId",
    "Database",
    "Driver",
    "Statements",
    "UTCDateTime",
    "database_url",
    "make_engine",
    "rowcount",
    "table_of",
    "upgrade",
]
