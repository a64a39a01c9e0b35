"""A tiny S3-compatible object endpoint for tests (PUT/GET/HEAD/DELETE of
objects, path style `/<bucket>/<key>` or virtual-host style `<bucket>.<host>`).
It checks no signatures and keeps objects under $S3_STANDIN_DIR (default
/data). Every request line goes to stdout, e.g. `PUT convex-modules/<key> 200`,
so a test can see which objects the backend stand-in wrote. GET /__objects
lists the stored objects as JSON."""

import json
import os
import signal
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.environ.get("S3_STANDIN_DIR") or "/data"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3-standin"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _target(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        host = (self.headers.get("Host") or "").split(":")[0]
        first = host.split(".")[0]
        if "." in host and not host.replace(".", "").isdigit() and first:
            return first, path.lstrip("/")  # virtual-host style
        bucket, _, key = path.lstrip("/").partition("/")
        return bucket, key

    def _file(self, bucket, key):
        safe = key.replace("/", "%2F")
        return os.path.join(ROOT, bucket, safe)

    def _reply(self, status, body=b"", ctype="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _done(self, bucket, key, status):
        print(f"{self.command} {bucket}/{key} {status}", flush=True)

    def do_GET(self):
        if self.path == "/__objects":
            out = []
            for bucket in sorted(os.listdir(ROOT)) if os.path.isdir(ROOT) else []:
                for name in sorted(os.listdir(os.path.join(ROOT, bucket))):
                    out.append(f"{bucket}/{name.replace('%2F', '/')}")
            self._reply(200, json.dumps(out).encode(), "application/json")
            return
        bucket, key = self._target()
        try:
            with open(self._file(bucket, key), "rb") as f:
                data = f.read()
        except (FileNotFoundError, IsADirectoryError):
            self._reply(404, b"<Error><Code>NoSuchKey</Code></Error>")
            self._done(bucket, key, 404)
            return
        self._reply(200, data, "application/octet-stream")
        self._done(bucket, key, 200)

    do_HEAD = do_GET

    def do_PUT(self):
        bucket, key = self._target()
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        os.makedirs(os.path.join(ROOT, bucket), exist_ok=True)
        with open(self._file(bucket, key), "wb") as f:
            f.write(data)
        self.send_response(200)
        self.send_header("ETag", '"standin"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._done(bucket, key, 200)

    def do_DELETE(self):
        bucket, key = self._target()
        try:
            os.remove(self._file(bucket, key))
        except FileNotFoundError:
            pass
        self._reply(204)
        self._done(bucket, key, 204)


def main():
    port = int(os.environ.get("PORT") or 9000)
    srv = ThreadingHTTPServer((os.environ.get("BIND") or "0.0.0.0", port), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print(f"s3 stand-in listening on port {port}, objects in {ROOT}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    srv.shutdown()


if __name__ == "__main__":
    main()
