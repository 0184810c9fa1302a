"""API key authentication on both databases: the key a secret names, unless revoked, expired or wrong."""

from datetime import UTC, datetime, timedelta

from facegate.api.keys import ApiKeys
from facegate.store import Database

NOW = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)


def test_a_secret_authenticates_as_its_key_until_revoked(database: Database) -> None:
    keys = ApiKeys(database)
    key, secret = keys.create("operator", NOW, "door", ["hq-lobby", "hq-kiosk"])
    assert keys.authenticate(secret, NOW) == key == keys.get(key.id)
    assert key.deployments == ("hq-lobby", "hq-kiosk") and key.created_at == NOW
    assert keys.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B"), NOW) is None
    assert keys.authenticate("fgk_0123456789abcdef_" + "x" * 43, NOW) is None
    keys.revoke(key.id, NOW + timedelta(minutes=1))
    assert keys.authenticate(secret, NOW + timedelta(minutes=2)) is None


def test_a_key_stops_at_its_expiry(database: Database) -> None:
    keys = ApiKeys(database)
    ends = NOW + timedelta(hours=1)
    key, secret = keys.create("auditor", NOW, expires_at=ends)
    found = keys.authenticate(secret, ends - timedelta(microseconds=1))
    assert found == key and found is not None and found.expires_at == ends and found.revoked_at is None
    assert keys.authenticate(secret, ends) is None
