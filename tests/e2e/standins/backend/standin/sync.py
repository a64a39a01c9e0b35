"""The sync websocket (/api/<client version>/sync), hand-written RFC 6455.

Speaks enough of the protocol of convex/src/browser/sync/protocol.ts for the
CLI's subscriptions (env list/get, export status) and a browser client's
queries: Connect, Authenticate (admin key, or none/user tokens accepted as
anonymous), ModifyQuerySet -> Transition with QueryUpdated/QueryFailed/
QueryRemoved, and a new Transition whenever the stand-in's state changes and a
subscribed value with it. Mutations and actions are answered as failed.
Every upgrade request (path, Host, Origin) is recorded for /__standin/sync-log.
"""

import base64
import hashlib
import json
import struct
import threading
import time
from typing import Any, Dict, Optional

from . import functions, log, server

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def u64(value: int) -> str:
    return base64.b64encode(struct.pack("<Q", value)).decode()


class Closed(Exception):
    pass


class Connection:
    def __init__(self, handler) -> None:
        self.h = handler
        self.sock = handler.connection
        self.rfile = handler.rfile
        self.send_lock = threading.Lock()
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.query_set = 0
        self.identity = 0
        self.ts = 0  # the version the client holds
        self.admin = False
        self.queries: Dict[int, Dict[str, Any]] = {}
        self.results: Dict[int, Any] = {}

    # ---- framing -----------------------------------------------------------
    def _read_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.rfile.read(n - len(buf))
            if not chunk:
                raise Closed()
            buf += chunk
        return buf

    def read_message(self) -> Optional[str]:
        parts = []
        while True:
            b1, b2 = self._read_exact(2)
            fin, opcode = b1 & 0x80, b1 & 0x0F
            length = b2 & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read_exact(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read_exact(8))[0]
            mask = self._read_exact(4) if b2 & 0x80 else b"\0\0\0\0"
            payload = bytearray(self._read_exact(length))
            for i in range(length):
                payload[i] ^= mask[i % 4]
            if opcode == 0x8:
                self.send_frame(0x8, bytes(payload[:2]))
                raise Closed()
            if opcode == 0x9:
                self.send_frame(0xA, bytes(payload))
                continue
            if opcode == 0xA:
                continue
            parts.append(bytes(payload))
            if fin:
                return b"".join(parts).decode()

    def send_frame(self, opcode: int, payload: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        with self.send_lock:
            try:
                self.sock.sendall(head + payload)
            except OSError:
                self.closed.set()
                raise Closed() from None

    def send(self, message: Dict[str, Any]) -> None:
        self.send_frame(0x1, json.dumps(message).encode())

    # ---- protocol ------------------------------------------------------------
    def evaluate(self, q: Dict[str, Any]) -> Dict[str, Any]:
        args = q["args"][0] if q["args"] else {}
        ok, value = functions.call(q["udfPath"], args, "Query", self.admin)
        if ok:
            return {"type": "QueryUpdated", "value": value, "logLines": [], "journal": None}
        return {"type": "QueryFailed", "errorMessage": value, "logLines": [], "errorData": None, "journal": None}

    def transition(self, modifications, new_query_set=None, new_identity=None) -> None:
        """Send one Transition from the client's version to the current one."""
        state_ts = server.BACKEND.state.read(lambda d: d["ts"])
        start = {"querySet": self.query_set, "ts": u64(self.ts), "identity": self.identity}
        if new_query_set is not None:
            self.query_set = new_query_set
        if new_identity is not None:
            self.identity = new_identity
        self.ts = max(self.ts, state_ts)
        end = {"querySet": self.query_set, "ts": u64(self.ts), "identity": self.identity}
        self.send({
            "type": "Transition",
            "startVersion": start,
            "endVersion": end,
            "modifications": modifications,
            "serverTs": time.time() * 1000,
        })

    def reevaluate_all(self):
        mods = []
        for qid, q in sorted(self.queries.items()):
            result = self.evaluate(q)
            if self.results.get(qid) != result:
                self.results[qid] = result
                mods.append(dict(result, queryId=qid))
        return mods

    def on_message(self, msg: Dict[str, Any]) -> None:
        kind = msg.get("type")
        with self.lock:
            if kind == "Connect":
                return
            if kind == "Authenticate":
                token_type = msg.get("tokenType")
                if token_type == "Admin":
                    if not server.BACKEND.key_ok(msg.get("value", "")):
                        self.send({
                            "type": "AuthError",
                            "error": "The provided admin key was invalid for this instance",
                            "baseVersion": msg.get("baseVersion", self.identity),
                            "authUpdateAttempted": True,
                        })
                        return
                    self.admin = True
                else:
                    self.admin = False
                self.transition(self.reevaluate_all(), new_identity=msg.get("baseVersion", self.identity) + 1)
                return
            if kind == "ModifyQuerySet":
                mods = []
                for m in msg.get("modifications", []):
                    if m.get("type") == "Add":
                        q = {"udfPath": m["udfPath"], "args": m.get("args") or [{}]}
                        self.queries[m["queryId"]] = q
                        result = self.evaluate(q)
                        self.results[m["queryId"]] = result
                        mods.append(dict(result, queryId=m["queryId"]))
                    elif m.get("type") == "Remove":
                        self.queries.pop(m["queryId"], None)
                        self.results.pop(m["queryId"], None)
                        mods.append({"type": "QueryRemoved", "queryId": m["queryId"]})
                self.transition(mods, new_query_set=msg.get("newVersion", self.query_set + 1))
                return
            if kind in ("Mutation", "Action"):
                self.send({
                    "type": f"{kind}Response",
                    "requestId": msg.get("requestId"),
                    "success": False,
                    "result": "The Convex stand-in does not run mutations or actions.",
                    "logLines": [],
                })
                return
            # "Event" and anything else: ignored, like upstream's logging events.

    def watch(self) -> None:
        """Push a Transition when the state changes a subscribed result."""
        seen = server.BACKEND.state.read(lambda d: d["ts"])
        while not self.closed.is_set():
            now = server.BACKEND.state.wait_for_change(seen, 1.0)
            if now == seen:
                continue
            seen = now
            with self.lock:
                mods = self.reevaluate_all()
                if mods:
                    try:
                        self.transition(mods)
                    except Closed:
                        return


def handle(h) -> None:
    key = h.headers.get("Sec-WebSocket-Key")
    if (h.headers.get("Upgrade") or "").lower() != "websocket" or not key:
        h.send_text(400, "Expected a websocket upgrade")
        return
    entry = {
        "path": h.route_path(),
        "host": h.headers.get("Host"),
        "origin": h.headers.get("Origin"),
        "time": time.time(),
    }
    with server.BACKEND.sync_log_lock:
        server.BACKEND.sync_log.append(entry)
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    h.send_response(101, "Switching Protocols")
    h.send_header("Upgrade", "websocket")
    h.send_header("Connection", "Upgrade")
    h.send_header("Sec-WebSocket-Accept", accept)
    h.end_headers()
    h.wfile.flush()
    h._status = 101
    h._log_request(101, time.monotonic())
    h.close_connection = True
    conn = Connection(h)
    threading.Thread(target=conn.watch, daemon=True).start()
    try:
        while True:
            text = conn.read_message()
            try:
                msg = json.loads(text)
            except ValueError:
                continue
            conn.on_message(msg)
    except (Closed, OSError):
        pass
    finally:
        conn.closed.set()
        h._status = 0  # already logged
        log.info(f"sync websocket closed ({entry['path']})", target="convex_standin::sync")
