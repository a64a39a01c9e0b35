#!/usr/bin/env python3
"""Minimal loopback listener for the frontend e2e test (used only when the
Convex backend stand-in of tests/e2e/standins/ is not available).

It accepts WebSocket upgrades (RFC 6455 handshake) on any path, records each
upgrade request as one JSON line in RECORD, then holds the socket open and
discards what the client sends. Every other request gets a 404. It speaks no
Convex protocol, so the page never receives a query result from it.

    ws_listener.py PORT_FILE RECORD
binds 127.0.0.1 on a free port and writes the port into PORT_FILE.
"""

import base64
import hashlib
import json
import socket
import sys
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def handle(conn, record_path, lock):
    conn.settimeout(30)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        upgrade = headers.get("upgrade", "").lower() == "websocket"
        key = headers.get("sec-websocket-key")
        if method == "GET" and upgrade and key:
            with lock, open(record_path, "a", encoding="utf-8") as out:
                out.write(
                    json.dumps(
                        {
                            "path": target,
                            "host": headers.get("host", ""),
                            "origin": headers.get("origin", ""),
                        }
                    )
                    + "\n"
                )
            accept = base64.b64encode(
                hashlib.sha1((key + GUID).encode("ascii")).digest()
            ).decode("ascii")
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode("ascii")
            )
            conn.settimeout(120)
            while conn.recv(65536):
                pass
        else:
            body = b"not found\n"
            conn.sendall(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                b"Access-Control-Allow-Origin: *\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
                + body
            )
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port_file, record_path = sys.argv[1], sys.argv[2]
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    with open(port_file + ".tmp", "w", encoding="ascii") as out:
        out.write(str(server.getsockname()[1]))
    import os

    os.replace(port_file + ".tmp", port_file)
    lock = threading.Lock()
    while True:
        conn, _ = server.accept()
        threading.Thread(
            target=handle, args=(conn, record_path, lock), daemon=True
        ).start()


if __name__ == "__main__":
    main()
