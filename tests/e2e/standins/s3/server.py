"""A tiny S3-compatible object endpoint for tests (PUT/GET/HEAD/DELETE of
objects and multipart uploads: POST ?uploads, PUT ?partNumber&uploadId, POST
?uploadId; path style `/<bucket>/<key>` or virtual-host style
`<bucket>.<host>`). It checks no signatures and keeps objects under
$S3_STANDIN_DIR (default /data). Every request line goes to stdout, e.g.
`PUT convex-modules/<key> 200`, so a test can see which objects the backend
stand-in wrote. GET /__objects lists the stored objects as JSON.

S3_STANDIN_MODE picks what it stands for:
- `minio-no-kms` (default): MinIO without a KMS, the common self-hosted
  store. A request with `x-amz-server-side-encryption` is refused with 501
  NotImplemented "Server side encryption specified but KMS is not
  configured" (MinIO's ErrKMSNotConfigured, cmd/api-errors.go; 501 as
  current MinIO answers it, older releases answered 400 InvalidArgument).
- `aws`: accepts SSE-S3 (AES256) like AWS S3.
Both check a CRC32 checksum that is sent (`x-amz-checksum-crc32`, base64 of
the big-endian CRC32) and refuse a wrong one with 400 BadDigest, and refuse
a part or completion for an unknown upload with 404 NoSuchUpload."""

import base64
import json
import os
import re
import signal
import threading
import urllib.parse
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.environ.get("S3_STANDIN_DIR") or "/data"
MODE = os.environ.get("S3_STANDIN_MODE") or "minio-no-kms"
if MODE not in ("minio-no-kms", "aws"):
    raise SystemExit(f"S3_STANDIN_MODE must be minio-no-kms or aws, got {MODE!r}")
UPLOADS = {}  # upload id -> {"bucket", "key", "parts": {n: bytes}}
LOCK = threading.Lock()


def _error(code, message):
    return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


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

    def _done(self, bucket, key, status, note=""):
        print(f"{self.command} {bucket}/{key} {status}{note}", flush=True)

    def _query(self):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length)

    def _refused(self, bucket, key):
        """The refusals every write gets: SSE without a KMS, a wrong CRC32."""
        if self.headers.get("x-amz-server-side-encryption") and MODE == "minio-no-kms":
            message = "Server side encryption specified but KMS is not configured"
            self._reply(501, _error("NotImplemented", message))
            self._done(bucket, key, 501, f" NotImplemented: {message}")
            return True
        return False

    def _bad_crc(self, bucket, key, data):
        sent = self.headers.get("x-amz-checksum-crc32")
        if sent is None:
            return False
        want = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        if sent == want:
            return False
        self._reply(400, _error("BadDigest", "The CRC32 you specified did not match the calculated checksum."))
        self._done(bucket, key, 400, " BadDigest")
        return True

    def _store(self, bucket, key, data):
        os.makedirs(os.path.join(ROOT, bucket), exist_ok=True)
        with open(self._file(bucket, key), "wb") as f:
            f.write(data)

    def do_POST(self):
        bucket, key = self._target()
        query = self._query()
        body = self._body()
        if "uploads" in query:
            if self._refused(bucket, key):
                return
            upload_id = uuid.uuid4().hex
            with LOCK:
                UPLOADS[upload_id] = {"bucket": bucket, "key": key, "parts": {}}
            self._reply(200, (
                "<InitiateMultipartUploadResult>"
                f"<Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{upload_id}</UploadId>"
                "</InitiateMultipartUploadResult>").encode())
            self._done(bucket, key, 200, " CreateMultipartUpload")
            return
        upload_id = (query.get("uploadId") or [""])[0]
        with LOCK:
            upload = UPLOADS.pop(upload_id, None)
        if upload is None or (upload["bucket"], upload["key"]) != (bucket, key):
            self._reply(404, _error("NoSuchUpload", "The specified multipart upload does not exist."))
            self._done(bucket, key, 404, " NoSuchUpload")
            return
        numbers = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)]
        if not numbers or any(n not in upload["parts"] for n in numbers):
            self._reply(400, _error("InvalidPart", "One or more of the specified parts could not be found."))
            self._done(bucket, key, 400, " InvalidPart")
            return
        self._store(bucket, key, b"".join(upload["parts"][n] for n in sorted(numbers)))
        self._reply(200, (
            "<CompleteMultipartUploadResult>"
            f"<Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>\"standin\"</ETag>"
            "</CompleteMultipartUploadResult>").encode())
        # The object is written now: the same line a single PUT logs.
        print(f"PUT {bucket}/{key} 200", flush=True)

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
        query = self._query()
        data = self._body()
        if self._bad_crc(bucket, key, data):
            return
        if "uploadId" in query:
            upload_id = query["uploadId"][0]
            with LOCK:
                upload = UPLOADS.get(upload_id)
                if upload is not None:
                    upload["parts"][int((query.get("partNumber") or ["0"])[0])] = data
            if upload is None:
                self._reply(404, _error("NoSuchUpload", "The specified multipart upload does not exist."))
                self._done(bucket, key, 404, " NoSuchUpload")
                return
            self.send_response(200)
            self.send_header("ETag", '"part"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            self._done(bucket, key, 200, " UploadPart")
            return
        if self._refused(bucket, key):
            return
        self._store(bucket, key, data)
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
    print(f"s3 stand-in ({MODE}) listening on port {port}, objects in {ROOT}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    srv.shutdown()


if __name__ == "__main__":
    main()
