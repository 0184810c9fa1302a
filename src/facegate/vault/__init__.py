"""Subjects, consents, sealed templates, non-biometric credentials, retention and deletion; and the key store."""
