"""A software passkey authenticator for the tests: real P-256 keys and signatures, attestation 'none'."""

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    """One passkey on one device: answers WebAuthn options as a browser would, signing with its own key."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.counter = 0

    def _client_data(self, kind: str, options: dict) -> bytes:
        return json.dumps({"type": kind, "challenge": options["challenge"], "origin": self.origin}).encode()

    def _auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        self.counter += 1
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def create(self, options: dict) -> str:
        """The JSON a browser posts after navigator.credentials.create(options)."""
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cbor2.dumps(cose)
        auth_data = self._auth_data(options["rp"]["id"], 0x45, attested)  # user present, verified, key attached
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        response = {
            "clientDataJSON": b64url(self._client_data("webauthn.create", options)),
            "attestationObject": b64url(attestation),
        }
        return self._credential(response)

    def get(self, options: dict) -> str:
        """The JSON a browser posts after navigator.credentials.get(options)."""
        client_data = self._client_data("webauthn.get", options)
        auth_data = self._auth_data(options["rpId"], 0x05)  # user present and verified
        signed = auth_data + hashlib.sha256(client_data).digest()
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(self.key.sign(signed, ec.ECDSA(hashes.SHA256()))),
        }
        return self._credential(response)

    def _credential(self, response: dict) -> str:
        cid = b64url(self.credential_id)
        return json.dumps({"id": cid, "rawId": cid, "type": "public-key", "response": response,
                           "clientExtensionResults": {}})  # fmt: skip
