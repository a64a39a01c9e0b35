"""Blob storage: local directory or an S3-compatible endpoint.

Local: $STORAGE_DIR/<kind>/<key>, like upstream's
/convex/data/storage/{files,modules,exports,search,snapshot_imports}.

S3: uploads as upstream's crates/aws_s3/src/storage.rs (at 903b8b96) does:
CreateMultipartUpload (with `x-amz-server-side-encryption: AES256` unless
AWS_S3_DISABLE_SSE, and `x-amz-checksum-algorithm: CRC32` unless
AWS_S3_DISABLE_CHECKSUMS), UploadPart (with `x-amz-checksum-crc32`), then
CompleteMultipartUpload; GET for reads. Signed with AWS Signature V4 when
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set. The switches are read only
by releases that have them (crates/aws_utils/src/lib.rs): no
AWS_S3_FORCE_PATH_STYLE before 2025-08-05, `eq_ignore_ascii_case("true")`
from 2025-08-05, Rust bool::from_str (only `true`) from 2025-08-27;
AWS_S3_DISABLE_SSE/AWS_S3_DISABLE_CHECKSUMS from 2025-09-04 (bool::from_str).
S3_ENDPOINT_URL is read with env::var(..).ok(): an empty value is an
endpoint (""), which fails every request. Without S3_ENDPOINT_URL the real
backend talks to AWS; the stand-in refuses to send anything and says so.
Virtual-host style `<bucket>.<endpoint host>` is what makes MinIO-style
endpoints fail DNS inside Docker.
"""

import datetime
import hashlib
import hmac
import http.client
import os
import re
import socket
import urllib.parse
import zlib
from base64 import b64encode
from typing import Dict, Optional

from . import config


KIND_BUCKET = {
    "exports": "S3_STORAGE_EXPORTS_BUCKET",
    "snapshot_imports": "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET",
    "modules": "S3_STORAGE_MODULES_BUCKET",
    "files": "S3_STORAGE_FILES_BUCKET",
    "search": "S3_STORAGE_SEARCH_BUCKET",
}


class StorageError(Exception):
    pass


def dispatch_failure(exc: BaseException) -> str:
    """The AWS Rust SDK's wording for a request that never got a reply
    (DispatchFailure), as seen in upstream backend logs."""
    if isinstance(exc, socket.gaierror):
        return (
            "dispatch failure: other: client error (Connect): dns error: "
            f"failed to lookup address information: {exc.strerror}"
        )
    if isinstance(exc, OSError) and exc.errno is not None:
        return (
            "dispatch failure: io error: client error (Connect): tcp connect error: "
            f"{exc.strerror} (os error {exc.errno})"
        )
    return f"dispatch failure: other: {exc}"


class LocalStorage:
    mode = "local"

    def __init__(self, root: str) -> None:
        self.root = root
        for kind in KIND_BUCKET:
            os.makedirs(os.path.join(root, kind), exist_ok=True)

    def _path(self, kind: str, key: str) -> str:
        safe = key.replace("/", "_")
        return os.path.join(self.root, kind, safe)

    def put(self, kind: str, key: str, data: bytes) -> None:
        target = self._path(kind, key)
        tmp = target + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)

    def get(self, kind: str, key: str) -> bytes:
        try:
            with open(self._path(kind, key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise StorageError(f"object {kind}/{key} not found") from None


class S3Storage:
    mode = "s3"

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        # None: unset (AWS); "": an endpoint that is the empty string.
        self.endpoint = os.environ.get("S3_ENDPOINT_URL")
        self.region = os.environ.get("AWS_REGION") or ""
        self.path_style = _path_style()
        self.sse = not (config.has("s3_disable_sse") and _rust_bool("AWS_S3_DISABLE_SSE"))
        self.checksums = not (
            config.has("s3_disable_sse") and _rust_bool("AWS_S3_DISABLE_CHECKSUMS")
        )
        self.access_key = os.environ.get("AWS_ACCESS_KEY_ID") or ""
        self.secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY") or ""
        self.session_token = os.environ.get("AWS_SESSION_TOKEN") or ""

    def endpoint_host(self) -> Optional[str]:
        if not self.endpoint:
            return None
        return urllib.parse.urlsplit(self.endpoint).hostname

    def _target(self, kind: str, key: str):
        if self.endpoint is None:
            raise StorageError(
                "the stand-in talks to S3_ENDPOINT_URL only and never to AWS; set S3_ENDPOINT_URL"
            )
        if not re.match(r"^https?://[^/]", self.endpoint):
            # Not upstream's wording (unknown); the SDK cannot build a request
            # URL from it, so no request ever leaves.
            raise StorageError(
                f"dispatch failure: other: S3_ENDPOINT_URL={self.endpoint!r} is no endpoint URL "
                "(the backend reads an empty value as the endpoint, not as unset)"
            )
        bucket = os.environ[KIND_BUCKET[kind]]
        url = urllib.parse.urlsplit(self.endpoint)
        object_key = urllib.parse.quote(self.prefix + key, safe="/-_.~")
        if self.path_style:
            host = url.hostname
            path = f"/{bucket}/{object_key}"
        else:
            host = f"{bucket}.{url.hostname}"
            path = f"/{object_key}"
        port = url.port or (443 if url.scheme == "https" else 80)
        return url.scheme, host, port, path

    def _signed_headers(self, method: str, host_header: str, path: str, body: bytes,
                        query: str = "", extra: Optional[Dict[str, str]] = None):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {"host": host_header, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
        headers.update(extra or {})
        if self.session_token:
            headers["x-amz-security-token"] = self.session_token
        if not (self.access_key and self.secret_key):
            return headers
        signed = sorted(headers)
        canonical = "\n".join(
            [
                method,
                path,
                query,
                "".join(f"{h}:{headers[h]}\n" for h in signed),
                ";".join(signed),
                payload_hash,
            ]
        )
        scope = f"{amz_date[:8]}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )

        def h(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode(), hashlib.sha256).digest()

        k = h(("AWS4" + self.secret_key).encode(), amz_date[:8])
        k = h(k, self.region)
        k = h(k, "s3")
        k = h(k, "aws4_request")
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
            f"SignedHeaders={';'.join(signed)}, Signature={signature}"
        )
        return headers

    def _request(self, method: str, kind: str, key: str, body: bytes = b"",
                 query: str = "", extra: Optional[Dict[str, str]] = None) -> bytes:
        scheme, host, port, path = self._target(kind, key)
        default_port = 443 if scheme == "https" else 80
        host_header = host if port == default_port else f"{host}:{port}"
        headers = self._signed_headers(method, host_header, path, body, query, extra)
        conn_cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(host, port, timeout=10)
        try:
            conn.request(method, path + (f"?{query}" if query else ""),
                         body=body if method in ("PUT", "POST") else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise StorageError(dispatch_failure(exc)) from None
        finally:
            conn.close()
        if resp.status >= 300:
            code = _xml_field(data, "Code") or "unhandled error"
            message = _xml_field(data, "Message") or f"{method} {kind} object answered HTTP {resp.status}"
            raise StorageError(f"service error: {code}: {message} (HTTP {resp.status})")
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        """A one-part multipart upload, as storage.rs sends every upload."""
        create = {}
        if self.sse:
            create["x-amz-server-side-encryption"] = "AES256"
        if self.checksums:
            create["x-amz-checksum-algorithm"] = "CRC32"
        try:
            reply = self._request("POST", kind, key, b"", "uploads=", create)
        except StorageError as exc:
            raise StorageError(f"Failed to create multipart upload: {exc}") from None
        upload_id = _xml_field(reply, "UploadId")
        if not upload_id:
            raise StorageError("Failed to create multipart upload: no UploadId in the reply")
        qid = urllib.parse.quote(upload_id, safe="")
        part = {}
        crc = b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        if self.checksums:
            part["x-amz-checksum-crc32"] = crc
        self._request("PUT", kind, key, data, f"partNumber=1&uploadId={qid}", part)
        checksum = f"<ChecksumCRC32>{crc}</ChecksumCRC32>" if self.checksums else ""
        body = (
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"part\"</ETag>"
            f"{checksum}</Part></CompleteMultipartUpload>"
        ).encode()
        self._request("POST", kind, key, body, f"uploadId={qid}")

    def get(self, kind: str, key: str) -> bytes:
        return self._request("GET", kind, key)

    def probe(self) -> Optional[str]:
        """Resolve (and connect to) the host a module upload would use.
        Returns upstream's error text, or None when reachable."""
        if self.endpoint is None:
            return None
        try:
            scheme, host, port, _ = self._target("modules", "probe")
        except StorageError as exc:
            return f"Failed to create multipart upload: {exc}"
        try:
            with socket.create_connection((host, port), timeout=5):
                return None
        except OSError as exc:
            return f"Failed to create multipart upload: {dispatch_failure(exc)}"


def _rust_bool(var: str) -> bool:
    """`s.parse::<bool>().ok().unwrap_or_default()`: only `true` is true."""
    return os.environ.get(var) == "true"


def _path_style() -> bool:
    if not config.has("s3_force_path_style"):
        return False
    value = os.environ.get("AWS_S3_FORCE_PATH_STYLE") or ""
    if config.has("s3_force_path_style_strict"):
        return value == "true"
    return value.lower() == "true"


def _xml_field(data: bytes, name: str) -> Optional[str]:
    m = re.search(rf"<{name}>([^<]*)</{name}>".encode(), data or b"")
    return m.group(1).decode() if m else None


def open_storage(storage_type: dict):
    if storage_type["tag"] == "S3":
        return S3Storage(storage_type["s3Prefix"])
    return LocalStorage(storage_type["dir"])


def describe(storage_type: Optional[dict], initializer: bool = False) -> str:
    """Rust Debug formatting of StorageType / StorageTagInitializer
    (crates/model/src/database_globals/types.rs)."""
    if storage_type is None:
        return "None"
    if storage_type["tag"] == "S3":
        if initializer:
            return "S3"
        return f'S3 {{ s3_prefix: "{storage_type["s3Prefix"]}" }}'
    return f'Local {{ dir: "{storage_type["dir"]}" }}'

