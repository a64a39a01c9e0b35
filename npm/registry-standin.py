#!/usr/bin/env python3
"""A read-only npm registry stand-in for npm/prove-local.sh: serves the
packuments ("GET /<name>") and tarballs ("GET /-/<file>.tgz") of the package
tarballs given on the command line, so `npm create convex-scaffold@latest`
and `npx convex-scaffold@latest` resolve `latest` and the optional platform
packages as they would on the registry.

    registry-standin.py PORTFILE TARBALL... [--listed-only TARBALL...]

Tarballs after --listed-only appear in packuments but are never served (a
request for one fails the run: npm must skip a package whose os/cpu do not
match this machine without downloading it). The port it listens on (chosen
by the OS) is written to PORTFILE. Every request is logged to stderr.

Not modelled: publishing, authentication, search, abbreviated metadata
(npm asks for it and accepts the full document, as from any registry that
ignores the Accept header), the audit and advisory endpoints (404, which npm
treats as "no audit"), scoped names, dist-tags other than latest (the
highest version given).
"""
import base64
import hashlib
import http.server
import json
import os
import sys
import tarfile

port_file, args = sys.argv[1], sys.argv[2:]
listed_only = set()
served = {}
packuments = {}
refused = []
if "--listed-only" in args:
    i = args.index("--listed-only")
    args, listed_only = args[:i], set(args[i + 1:])
for path in list(args) + sorted(listed_only):
    with tarfile.open(path) as tf:
        manifest = json.load(tf.extractfile("package/package.json"))
    data = open(path, "rb").read()
    name = os.path.basename(path)
    if path not in listed_only:
        served[name] = data
    version = dict(manifest)
    version["dist"] = {
        "tarball": f"http://127.0.0.1:{{port}}/-/{name}",
        "shasum": hashlib.sha1(data).hexdigest(),
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode(),
    }
    doc = packuments.setdefault(
        manifest["name"], {"name": manifest["name"], "dist-tags": {}, "versions": {}}
    )
    doc["versions"][manifest["version"]] = version
    doc["dist-tags"]["latest"] = max(
        doc["versions"], key=lambda v: tuple(int(x) for x in v.split("-")[0].split("."))
    )


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0].lstrip("/")
        if path.startswith("-/"):
            name = path[2:]
            if name in served:
                return self.reply(200, served[name], "application/octet-stream")
            if any(os.path.basename(p) == name for p in listed_only):
                refused.append(name)
                sys.stderr.write(f"REFUSED a download npm should have skipped: {name}\n")
            return self.reply(404, b'{"error":"Not found"}')
        if path in packuments:
            body = json.dumps(packuments[path]).replace("{port}", str(self.server.server_port))
            return self.reply(200, body.encode())
        return self.reply(404, b'{"error":"Not found"}')

    def do_POST(self):
        return self.reply(404, b'{"error":"Not found"}')

    def log_message(self, fmt, *args):
        sys.stderr.write(self.requestline + "\n")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
