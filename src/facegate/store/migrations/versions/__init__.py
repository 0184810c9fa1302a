"""Migration scripts, one per revision, applied in order by `facegate.store.migrate.upgrade`."""
