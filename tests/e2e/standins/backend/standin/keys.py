"""Admin keys: `<instance_name>|<hex>`.

Upstream encrypts a fresh token with the instance secret, so every call mints
a different key and all of them stay valid until the secret changes
(crates/keybroker). The stand-in keeps those properties with its own format:
hex = 16 random bytes || HMAC-SHA256(secret, name "|" nonce). Keys from a real
backend are not accepted and the stand-in's keys mean nothing to a real one.
"""

import hashlib
import hmac
import secrets

from .config import secret_bytes

_NONCE = 16
_MAC = 32


def _mac(secret: bytes, name: str, nonce: bytes) -> bytes:
    return hmac.new(secret, name.encode() + b"|" + nonce, hashlib.sha256).digest()


def mint(name: str, secret_hex: str) -> str:
    secret = secret_bytes(secret_hex)
    nonce = secrets.token_bytes(_NONCE)
    return f"{name}|{(nonce + _mac(secret, name, nonce)).hex()}"


def check(key: str, name: str, secret_hex: str) -> bool:
    prefix, sep, body = key.partition("|")
    if not sep or prefix != name:
        return False
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        return False
    if len(raw) != _NONCE + _MAC:
        return False
    nonce, mac = raw[:_NONCE], raw[_NONCE:]
    return hmac.compare_digest(mac, _mac(secret_bytes(secret_hex), name, nonce))
