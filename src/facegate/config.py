"""The process's configuration from its environment: the one module of facegate that reads `os.environ`.

`Config.from_environ()` reads every variable facegate knows in one go; a Context keeps the Config it was opened
with (`context.config`), and code without a context asks `current()`. tests/test_import_contracts.py fails on an
`os.environ` or `os.getenv` read anywhere else.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

HOME = "FACEGATE_HOME"  # the data directory (default: $XDG_DATA_HOME/facegate or ~/.local/share/facegate)
XDG_DATA_HOME = "XDG_DATA_HOME"
DATABASE_URL = "FACEGATE_DATABASE_URL"  # the data store (default: SQLite in the data directory)
KEYSTORE_URL = "FACEGATE_KEYSTORE_URL"  # the key store (default: SQLite in <home>/keys)
MASTER_KEY = "FACEGATE_MASTER_KEY"  # the master key, base64 (default: a 0600 key file)
MASTER_KEY_OLD = "FACEGATE_MASTER_KEY_OLD"  # the previous master key during a rotation
MASTER_KEY_FILE = "FACEGATE_MASTER_KEY_FILE"  # where the master key file is (default: <home>/keys/master.key)
HUB_CA = "FACEGATE_HUB_CA"  # a CA bundle for a hub whose certificate a private CA issued
BROKER_URL = "FACEGATE_BROKER_URL"  # the MQTT broker carrying change notices (mqtt://host:1883, mqtts://host:8883)
DECODE_MEMORY_MB = "FACEGATE_DECODE_MEMORY_MB"  # the decoding memory budget
PASSKEY_ORIGINS = "FACEGATE_PASSKEY_ORIGINS"  # the pages passkeys are used on
DEBUG = "FACEGATE_DEBUG"  # the CLI shows tracebacks
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multi-process folder (it reads it at import too)


@dataclass(frozen=True)
class Config:
    """What the environment sets for facegate; None (or empty) where it sets nothing."""

    home: str | None = None
    xdg_data_home: str | None = None
    database_url: str | None = None
    keystore_url: str | None = None
    master_key: str | None = None
    master_key_old: str | None = None
    master_key_file: str | None = None
    hub_ca: str | None = None
    broker_url: str | None = None
    decode_memory_mb: str | None = None
    passkey_origins: str = ""
    debug: bool = False
    metrics_dir: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Config":
        """The configuration `environ` (default: this process's environment) gives, read once."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            home=get(HOME),
            xdg_data_home=get(XDG_DATA_HOME),
            database_url=get(DATABASE_URL),
            keystore_url=get(KEYSTORE_URL),
            master_key=get(MASTER_KEY),
            master_key_old=get(MASTER_KEY_OLD),
            master_key_file=get(MASTER_KEY_FILE),
            hub_ca=get(HUB_CA),
            broker_url=get(BROKER_URL),
            decode_memory_mb=get(DECODE_MEMORY_MB),
            passkey_origins=get(PASSKEY_ORIGINS) or "",
            debug=bool(get(DEBUG)),
            metrics_dir=get(METRICS_DIR),
        )


def current() -> Config:
    """The configuration as the environment gives it now (for code that has no Context at hand)."""
    return Config.from_environ()


def set_default(name: str, value: str) -> None:
    """Set an environment variable a library reads, unless the operator set it (e.g. onnxruntime's telemetry)."""
    os.environ.setdefault(name, value)
