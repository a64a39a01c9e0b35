"""A tiny MySQL/MariaDB client (stdlib only), the MYSQL_URL counterpart of
pg.py: handshake v10, mysql_native_password (and the fast path of
caching_sha2_password), connect with the database the backend would use,
then OK or the server's ERR packet. Nothing else."""

import hashlib
import socket
import struct
import urllib.parse
from typing import Tuple

from .pg import PgError as DbError

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000


def parse_cluster_url(url: str) -> Tuple[str, int, str, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "mysql":
        raise DbError(f"invalid mysql url scheme {parts.scheme!r}")
    if parts.path not in ("", "/"):
        raise DbError(f"cluster url already contains db name: {parts.path.lstrip('/')}")
    if parts.query:
        raise DbError("cluster url already contains query string")
    if not parts.username:
        raise DbError("cluster url username must be set")
    return (
        parts.hostname or "localhost",
        parts.port or 3306,
        urllib.parse.unquote(parts.username),
        urllib.parse.unquote(parts.password or ""),
    )


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def _native(password: str, salt: bytes) -> bytes:
    if not password:
        return b""
    h1 = hashlib.sha1(password.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    return _xor(h1, hashlib.sha1(salt + h2).digest())


def _sha2(password: str, salt: bytes) -> bytes:
    if not password:
        return b""
    h1 = hashlib.sha256(password.encode()).digest()
    h2 = hashlib.sha256(hashlib.sha256(h1).digest() + salt).digest()
    return _xor(h1, h2)


def _scramble(plugin: str, password: str, salt: bytes) -> bytes:
    if plugin == "caching_sha2_password":
        return _sha2(password, salt)
    return _native(password, salt)


class _Conn:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.seq = 0

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise DbError("server closed the connection")
            buf += chunk
        return buf

    def recv(self) -> bytes:
        head = self._exact(4)
        length = head[0] | head[1] << 8 | head[2] << 16
        self.seq = (head[3] + 1) & 0xFF
        return self._exact(length)

    def send(self, payload: bytes) -> None:
        n = len(payload)
        self.sock.sendall(bytes([n & 0xFF, n >> 8 & 0xFF, n >> 16 & 0xFF, self.seq]) + payload)
        self.seq = (self.seq + 1) & 0xFF


def _server_error(packet: bytes) -> DbError:
    code = struct.unpack("<H", packet[1:3])[0]
    state, message = "HY000", packet[3:]
    if message[:1] == b"#":
        state, message = message[1:6].decode(), message[6:]
    # mysql_async's Display of a server error.
    return DbError(f"Server error: `ERROR {state} ({code}): {message.decode('utf-8', 'replace')}'")


def check_database(url: str, database: str, timeout: float = 10.0) -> None:
    host, port, user, password = parse_cluster_url(url)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise DbError(f"Input/output error: {exc}") from exc
    with sock:
        conn = _Conn(sock)
        greeting = conn.recv()
        if greeting[:1] == b"\xff":
            raise _server_error(greeting)
        pos = greeting.index(b"\0", 1) + 1  # protocol version, server version
        pos += 4  # connection id
        salt = greeting[pos : pos + 8]
        pos += 9
        pos += 2 + 1 + 2 + 2  # capabilities (low), charset, status, capabilities (high)
        salt_len = greeting[pos]
        pos += 1 + 10
        salt += greeting[pos : pos + max(13, salt_len - 8) - 1]
        pos += max(13, salt_len - 8)
        plugin = greeting[pos:].split(b"\0")[0].decode() or "mysql_native_password"
        caps = (
            CLIENT_LONG_PASSWORD
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_PROTOCOL_41
            | CLIENT_SECURE_CONNECTION
            | CLIENT_PLUGIN_AUTH
        )
        auth = _scramble(plugin, password, salt)
        conn.send(
            struct.pack("<IIB", caps, 1 << 24, 45)
            + b"\0" * 23
            + user.encode()
            + b"\0"
            + bytes([len(auth)])
            + auth
            + database.encode()
            + b"\0"
            + plugin.encode()
            + b"\0"
        )
        while True:
            packet = conn.recv()
            kind = packet[:1]
            if kind == b"\x00":
                return
            if kind == b"\xff":
                raise _server_error(packet)
            if kind == b"\xfe":  # auth switch
                name, _, data = packet[1:].partition(b"\0")
                conn.send(_scramble(name.decode(), password, data.rstrip(b"\0")))
            elif kind == b"\x01" and packet[1:2] == b"\x03":
                continue  # caching_sha2 fast auth succeeded; OK follows
            else:
                raise DbError(f"unsupported authentication step {packet[:2]!r} (the stand-in has no TLS/RSA)")
