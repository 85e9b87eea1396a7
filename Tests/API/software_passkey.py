"""A passkey authenticator in software, for the API checks (Tests/API/check_openapi.py) and the fuzzing
hooks (Tests/API/schemathesis_hooks.py): it answers the server's WebAuthn options with exactly the JSON
a browser's `PublicKeyCredential.toJSON()` would send, so the server's ceremony checks run byte for byte.

It is not Portcullis's code (the Swift tests have their own, Sources/PortcullisTesting/SoftwarePasskey.swift):
P-256 ECDSA keys from the `cryptography` package, and the few CBOR items WebAuthn needs, encoded here.

Registration (`navigator.credentials.create()`): authenticatorData = SHA-256(rp id) ‖ flags (UP, UV, AT:
0x45) ‖ counter (4 bytes, big-endian) ‖ AAGUID (16 zero bytes) ‖ credential id length (2 bytes) ‖
credential id ‖ the COSE key; attestationObject = CBOR {"fmt": "none", "attStmt": {}, "authData": …}.
Sign-in (`navigator.credentials.get()`): authenticatorData = SHA-256(rp id) ‖ flags (UP, UV: 0x05) ‖
counter; signature = ECDSA-SHA-256 (DER) over authenticatorData ‖ SHA-256(clientDataJSON). Byte fields
are base64url without padding. Every field can be bent to try a refusal: another origin, another relying
party, no user verification, another client-data type, an old counter, a broken signature.
"""
import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor(value) -> bytes:
    """The CBOR encoding (RFC 8949) of an int, bytes, str, list or dict (kept in insertion order)."""
    def head(major, argument):
        if argument < 24:
            return bytes([major << 5 | argument])
        for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if argument < 1 << (8 * width):
                return bytes([major << 5 | info]) + argument.to_bytes(width, "big")
        raise ValueError("argument too large")

    if isinstance(value, bool):
        return bytes([0xF5 if value else 0xF4])
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, (bytes, bytearray)):
        return head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(f"no CBOR for {type(value).__name__}")


class SoftwarePasskey:
    """One ES256 credential, created for the user handle `user_handle` (the options' `user.id`, bytes)."""

    def __init__(self, user_handle: bytes = b"", sign_count: int = 1):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle = user_handle
        self.sign_count = sign_count

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
                          separators=(",", ":")).encode()

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message, ec.ECDSA(hashes.SHA256()))

    def register(self, options: dict, origin: str, *, rp_id=None, kind="webauthn.create", flags=0x45,
                 fmt="none", transports=("internal",)) -> dict:
        """The JSON of `navigator.credentials.create()` answering PublicKeyCredentialCreationOptionsJSON
        `options`, as the browser at `origin` would make it (for `options.rp.id` unless `rp_id` says
        otherwise). Takes the user handle from the options."""
        self.user_handle = b64url_decode(options["user"]["id"])
        rp_id = rp_id if rp_id is not None else options["rp"]["id"]
        client_data = self.client_data(kind, options["challenge"], origin)
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + self.sign_count.to_bytes(4, "big")
                     + bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self.cose_key())
        attestation = cbor({"fmt": fmt, "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id, "rawId": self.id, "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": list(transports)},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }

    def assert_(self, options: dict, origin: str, *, rp_id=None, kind="webauthn.get", flags=0x05, sign_count=None,
                challenge=None, user_handle=None, break_signature=False) -> dict:
        """The JSON of `navigator.credentials.get()` answering PublicKeyCredentialRequestOptionsJSON `options`.
        Advances the counter first (unless `sign_count` names the one to send, as a cloned authenticator
        would)."""
        if sign_count is None:
            self.sign_count += 1
            sign_count = self.sign_count
        rp_id = rp_id if rp_id is not None else options["rpId"]
        client_data = self.client_data(kind, challenge or options["challenge"], origin)
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big")
        signature = self.sign(auth_data + hashlib.sha256(client_data).digest())
        if break_signature:
            signature = self.sign(auth_data + hashlib.sha256(client_data + b" ").digest())
        handle = self.user_handle if user_handle is None else user_handle
        return {
            "id": self.id, "rawId": self.id, "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature), "userHandle": b64url(handle)},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }
