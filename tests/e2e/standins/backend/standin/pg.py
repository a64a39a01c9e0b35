"""A tiny Postgres client (stdlib only): the backend stand-in connects with
exactly the POSTGRES_URL the real backend gets, to the database it would use
(INSTANCE_NAME with '-' -> '_'), and reports the server's error the way the
real backend does when that fails. Startup, cleartext/md5/SCRAM-SHA-256
authentication, then ReadyForQuery or an ErrorResponse; nothing else."""

import base64
import hashlib
import hmac
import os
import socket
import struct
import urllib.parse
from typing import Dict, Tuple


class PgError(Exception):
    pass


def parse_cluster_url(url: str) -> Tuple[str, int, str, str]:
    """host, port, user, password; the rules of upstream's crates/clusters."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise PgError(f"invalid postgres url scheme {parts.scheme!r}")
    if parts.path not in ("", "/"):
        raise PgError(f"cluster url already contains db name: {parts.path.lstrip('/')}")
    if parts.query:
        raise PgError("cluster url already contains query string")
    if not parts.username:
        raise PgError("cluster url username must be set")
    return (
        parts.hostname or "localhost",
        parts.port or 5432,
        urllib.parse.unquote(parts.username),
        urllib.parse.unquote(parts.password or ""),
    )


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise PgError("server closed the connection")
        buf += chunk
    return buf


def _recv(sock: socket.socket) -> Tuple[bytes, bytes]:
    head = _recv_exact(sock, 5)
    length = struct.unpack("!I", head[1:])[0]
    return head[:1], _recv_exact(sock, length - 4)


def _error_fields(body: bytes) -> Dict[str, str]:
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return fields


def _scram(sock: socket.socket, user: str, password: str) -> None:
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n=,r={nonce}"
    first = ("n,," + first_bare).encode()
    sock.sendall(_msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first))
    kind, body = _recv(sock)
    if kind == b"E":
        raise PgError(_format(_error_fields(body)))
    server_first = body[4:].decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_bare = f"c=biws,r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    sock.sendall(_msg(b"p", f"{final_bare},p={proof}".encode()))


def _format(fields: Dict[str, str]) -> str:
    # tokio-postgres' Display of a server error: "db error: FATAL: ...".
    return f"db error: {fields.get('S', 'ERROR')}: {fields.get('M', 'unknown error')}"


def check_database(url: str, database: str, timeout: float = 10.0) -> None:
    """Connects to `database` on the server of `url`; raises PgError with the
    server's message when that fails (e.g. the database does not exist)."""
    host, port, user, password = parse_cluster_url(url)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise PgError(f"error connecting to server: {exc}") from exc
    with sock:
        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
        body = struct.pack("!I", 196608) + params
        sock.sendall(struct.pack("!I", len(body) + 4) + body)
        while True:
            kind, body = _recv(sock)
            if kind == b"E":
                raise PgError(_format(_error_fields(body)))
            if kind == b"R":
                code = struct.unpack("!I", body[:4])[0]
                if code == 0:
                    continue
                if code == 3:
                    sock.sendall(_msg(b"p", password.encode() + b"\0"))
                elif code == 5:
                    inner = hashlib.md5((password + user).encode()).hexdigest()
                    outer = hashlib.md5(inner.encode() + body[4:8]).hexdigest()
                    sock.sendall(_msg(b"p", b"md5" + outer.encode() + b"\0"))
                elif code == 10:
                    _scram(sock, user, password)
                elif code in (11, 12):
                    continue
                else:
                    raise PgError(f"unsupported authentication method {code}")
            elif kind == b"Z":
                sock.sendall(_msg(b"X", b""))
                return
