"""Stand-in for the self-hosted Convex dashboard (tests only): answers HTTP on
6791 with a small page naming NEXT_PUBLIC_DEPLOYMENT_URL, stops on SIGINT or
SIGTERM."""

import html
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    server_version = "convex-dashboard-standin"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002
        sys.stdout.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {self.command} {self.path.split('?')[0]}\n")
        sys.stdout.flush()

    def do_GET(self):
        url = os.environ.get("NEXT_PUBLIC_DEPLOYMENT_URL", "")
        body = (
            "<!DOCTYPE html><html><head><title>Convex Dashboard (stand-in)</title></head><body>"
            "<h1>Convex Dashboard (stand-in)</h1>"
            f"<p>Deployment URL: <code id=\"deployment-url\">{html.escape(url)}</code></p>"
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET


def main() -> None:
    port = int(os.environ.get("PORT") or 6791)
    host = os.environ.get("HOSTNAME_BIND") or "0.0.0.0"
    srv = ThreadingHTTPServer((host, port), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print(f"dashboard stand-in listening on {host}:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    srv.shutdown()
    print("dashboard stand-in stopped", flush=True)


if __name__ == "__main__":
    main()
