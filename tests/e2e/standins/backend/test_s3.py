"""Self-tests of the S3 path of the stand-ins: the backend stand-in uploads
as upstream's crates/aws_s3/src/storage.rs does, reads the S3 switches only
on releases that have them, takes an empty S3_ENDPOINT_URL as an endpoint,
and the S3 stand-in refuses SSE as MinIO without a KMS does.
Run: python3 -m unittest -q test_s3 (in tests/e2e/standins/backend)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from unittest import mock

from standin import storage

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "s3", "server.py")
BUCKETS = {
    "S3_STORAGE_EXPORTS_BUCKET": "exports",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET": "imports",
    "S3_STORAGE_MODULES_BUCKET": "modules",
    "S3_STORAGE_FILES_BUCKET": "files",
    "S3_STORAGE_SEARCH_BUCKET": "search",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Standin:
    def __init__(self, mode):
        self.dir = tempfile.TemporaryDirectory()
        self.port = free_port()
        env = dict(os.environ, S3_STANDIN_DIR=os.path.join(self.dir.name, "data"), PORT=str(self.port),
                   BIND="127.0.0.1", S3_STANDIN_MODE=mode)
        self.log = open(os.path.join(self.dir.name, "log"), "w+")
        self.proc = subprocess.Popen([sys.executable, "-u", SERVER], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__objects", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the S3 stand-in did not start")

    def lines(self, expect=None):
        """The request log; with `expect`, waits up to 3 s for it to appear
        (the stand-in prints a line after it has answered)."""
        for _ in range(30):
            self.log.seek(0)
            text = self.log.read()
            if expect is None or expect in text:
                return text
            time.sleep(0.1)
        return text

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.log.close()
        self.dir.cleanup()


def backend_env(release, endpoint, **extra):
    env = dict(BUCKETS, CONVEX_STANDIN_RELEASE_DATE=release, AWS_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s", AWS_S3_FORCE_PATH_STYLE="true")
    if endpoint is not None:
        env["S3_ENDPOINT_URL"] = endpoint
    env.update(extra)
    return env


class S3Uploads(unittest.TestCase):
    def setUp(self):
        self.minio = S3Standin("minio-no-kms")
        self.aws = S3Standin("aws")
        self.addCleanup(self.minio.close)
        self.addCleanup(self.aws.close)

    def put(self, server, release, **extra):
        env = backend_env(release, f"http://127.0.0.1:{server.port}", **extra)
        with mock.patch.dict(os.environ, env, clear=True):
            storage.S3Storage("p/").put("modules", "m.json", b"bundle")

    def test_minio_without_kms_refuses_the_default_sse_upload(self):
        with self.assertRaises(storage.StorageError) as cm:
            self.put(self.minio, "2026-06-26")
        self.assertIn("Failed to create multipart upload", str(cm.exception))
        self.assertIn("Server side encryption specified but KMS is not configured", str(cm.exception))
        self.assertIn("NotImplemented", self.minio.lines("NotImplemented"))

    def test_aws_accepts_sse_with_checksums_as_multipart(self):
        self.put(self.aws, "2026-06-26")
        for line in ("CreateMultipartUpload", "UploadPart", "PUT modules/p/m.json 200"):
            self.assertIn(line, self.aws.lines(line))

    def test_switches_turn_sse_and_checksums_off_from_2025_09_04(self):
        self.put(self.minio, "2025-09-04", AWS_S3_DISABLE_SSE="true", AWS_S3_DISABLE_CHECKSUMS="true")
        self.assertIn("PUT modules/p/m.json 200", self.minio.lines("PUT modules/p/m.json 200"))

    def test_switches_are_rust_bools(self):
        with self.assertRaises(storage.StorageError):
            self.put(self.minio, "2026-06-26", AWS_S3_DISABLE_SSE="True")

    def test_older_releases_ignore_the_switches(self):
        with self.assertRaises(storage.StorageError) as cm:
            self.put(self.minio, "2025-08-27", AWS_S3_DISABLE_SSE="true", AWS_S3_DISABLE_CHECKSUMS="true")
        self.assertIn("KMS is not configured", str(cm.exception))

    def test_a_wrong_checksum_is_refused(self):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.aws.port}/modules/x?partNumber=1&uploadId=nope",
            data=b"abc", method="PUT", headers={"x-amz-checksum-crc32": "AAAAAA=="})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=5)
        self.assertEqual(cm.exception.code, 400)


class S3Options(unittest.TestCase):
    def storage_for(self, release, endpoint="http://minio:9000", **extra):
        with mock.patch.dict(os.environ, backend_env(release, endpoint, **extra), clear=True):
            return storage.S3Storage("p/")

    def test_an_empty_endpoint_is_an_endpoint(self):
        s3 = self.storage_for("2026-06-26", "")
        err = s3.probe()
        self.assertIsNotNone(err)
        self.assertIn("S3_ENDPOINT_URL=''", err)

    def test_path_style_by_release(self):
        self.assertFalse(self.storage_for("2025-07-02").path_style)
        self.assertTrue(self.storage_for("2025-08-05", AWS_S3_FORCE_PATH_STYLE="TRUE").path_style)
        self.assertFalse(self.storage_for("2025-08-27", AWS_S3_FORCE_PATH_STYLE="TRUE").path_style)
        self.assertTrue(self.storage_for("2025-08-27").path_style)


if __name__ == "__main__":
    unittest.main()
