"""The shared context of a data directory: its database, vault, audit log, clock and settings.

The gate and the oversight office are both built from one Context, so neither reaches into the other.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from facegate import config, policy
from facegate.audit import AuditLog
from facegate.audit.group import GroupCommit
from facegate.audit.writer import AuditWriter
from facegate.clock import Clock, utc_now
from facegate.config import Config
from facegate.home import data_home, node_kind
from facegate.store import Database
from facegate.vault.keystore import Keystore
from facegate.vault.vault import Vault

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from facegate.oversight.devices import DeviceViews

__all__ = ["Context", "EdgeParts", "utc_now"]


@dataclass
class Context:
    """What the gate and oversight share: one database, one vault (with its key store), one audit log."""

    db: Database
    vault: Vault
    audit: AuditLog
    clock: Clock = utc_now
    settings: policy.Settings = field(default_factory=policy.Settings)
    kind: str = "device"  # hub | device: the data directory's kind of node (home.node_kind)
    config: Config = field(default_factory=config.current)  # what the environment set, read once
    devices: "DeviceViews | None" = None  # a hub's paired devices as oversight reads them (facegate.edge.attach)
    group: GroupCommit = field(init=False, repr=False)  # audit-only appends of this process share commits

    def __post_init__(self) -> None:
        self.audit.clock = self.clock  # the log stamps its entries and checkpoints by this context's clock
        self.group = GroupCommit(self.db, self.audit, lambda: self.clock())

    @property
    def writer(self) -> AuditWriter:
        """The audit log's one writer, stamping entries by this context's clock (read at each append)."""
        return AuditWriter(self.db, self.audit, lambda: self.clock(), self.group)

    @property
    def keystore(self) -> Keystore:
        """The key store behind the vault."""
        return self.vault.keystore

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        database_url: str | None = None,
        clock: Clock = utc_now,
        settings: policy.Settings | None = None,
    ) -> "Context":
        """The context of a data directory: its database, key store and audit log."""
        env = config.current()  # read once; what this context opens is opened by it
        home = data_home(home)
        db = Database.open(database_url or env.database_url, home=home)
        vault, audit = Vault(Keystore.open(home, env)), AuditLog.for_home(home)
        return cls(db, vault, audit, clock, settings or policy.Settings(), kind=node_kind(home), config=env)


class EdgeParts:
    """What a node's edge role (hub or device) uses of the context its gate was built with, and nothing else:
    its database (the edge's own tables), the audit log (its key, its entries) and its one writer, the key store,
    the configuration and settings. `Gate.edge_parts()` hands it out; beyond it the edge calls the gate's public
    methods only (tests/test_import_contracts.py holds this)."""

    def __init__(self, context: Context) -> None:
        self._context = context

    @property
    def db(self) -> Database:
        """The node's database."""
        return self._context.db

    @property
    def audit(self) -> AuditLog:
        """The node's audit log (read it, sign with its key; append through `writer`)."""
        return self._context.audit

    @property
    def writer(self) -> AuditWriter:
        """The audit log's one writer."""
        return self._context.writer

    @property
    def keystore(self) -> Keystore:
        """The key store."""
        return self._context.keystore

    def deployments_of(self, session: "Session", subject_id: str) -> set[str]:
        """Every deployment where the subject has a record (the vault's tables)."""
        return self._context.vault.deployments_of(session, subject_id)

    @property
    def config(self) -> Config:
        """The configuration the context was opened with."""
        return self._context.config

    @property
    def settings(self) -> policy.Settings:
        """The practitioner readings of the rules."""
        return self._context.settings

    @property
    def kind(self) -> str:
        """hub | device."""
        return self._context.kind

    @property
    def devices(self) -> "DeviceViews | None":
        """A hub's device views, as oversight reads them."""
        return self._context.devices

    @devices.setter
    def devices(self, views: "DeviceViews | None") -> None:
        self._context.devices = views
