"""Snapshot exports (`npx convex export`) and file storage.

POST /api/export/request/zip?includeStorage=...  -> 200, export "requested";
a worker thread moves it to in_progress, writes the zip into the exports
storage (local dir or S3 bucket) and marks it completed; the CLI follows the
state through the `_system/cli/exports:getLatest` subscription and downloads
GET /api/export/zip/<start ts>.

Test hook: when $DATA_DIR/.standin-fail-export exists, the worker marks the
export failed instead (the CLI then prints "Export failed. ..." and exits 1).
"""

import hashlib
import base64
import io
import json
import os
import threading
import time
import uuid
import zipfile
from typing import Any, Dict

from . import config, log, server
from .server import HttpError

FAIL_HOOK = ".standin-fail-export"

ZIP_README = """# Convex snapshot export (made by the test stand-in)

This ZIP file has the layout of a Convex snapshot export: one
<table_name>/documents.jsonl file per table, with one JSON document per line,
and, when file storage was included, the stored files under _storage/.
It was written by the Convex stand-in of the convex-scaffold end-to-end
tests, not by a real Convex backend. _standin_modules/ holds the deployed
function bundles, which a real export does not contain.
"""


def _now_ns() -> int:
    return time.time_ns()


def request_zip(h) -> None:
    h.require_admin()
    include_storage = (h.query_params().get("includeStorage") or "false") == "true"

    def insert(d: Dict[str, Any]) -> Dict[str, Any]:
        if d["exports"] and d["exports"][-1]["state"] in ("requested", "in_progress"):
            raise HttpError(400, "ExportInProgress", "There is already an export requested or in progress.")
        e = {
            "id": uuid.uuid4().hex,
            "creationTime": time.time() * 1000,
            "state": "requested",
            "includeStorage": include_storage,
            "startTs": 0,
            "completeTs": 0,
            "zipObjectKey": None,
        }
        d["exports"].append(e)
        return e

    e = server.BACKEND.state.write(insert)
    threading.Thread(target=_worker, args=(e["id"],), daemon=True).start()
    h.send(200, b"", "text/plain")


def _set(export_id: str, **fields: Any) -> None:
    def apply(d: Dict[str, Any]) -> None:
        for e in d["exports"]:
            if e["id"] == export_id:
                e.update(fields)

    server.BACKEND.state.write(apply)


def _worker(export_id: str) -> None:
    time.sleep(0.3)
    snapshot = server.BACKEND.state.read(lambda d: d)
    start_ts = snapshot["ts"]
    _set(export_id, state="in_progress", startTs=start_ts)
    time.sleep(0.3)
    if os.path.exists(os.path.join(config.data_dir(), FAIL_HOOK)):
        log.error(
            f"Export {export_id} failed: {FAIL_HOOK} is present in the data directory (stand-in test hook)",
            target="application::exports",
        )
        _set(export_id, state="failed", completeTs=_now_ns())
        return
    export = next(e for e in snapshot["exports"] if e["id"] == export_id)
    try:
        blob = _build_zip(snapshot, export["includeStorage"])
        key = f"{export_id}.zip"
        server.BACKEND.storage.put("exports", key, blob)
    except Exception as exc:  # noqa: BLE001 - any failure fails the export
        log.error(f"Export {export_id} failed: {exc}", target="application::exports")
        _set(export_id, state="failed", completeTs=_now_ns())
        return
    _set(export_id, state="completed", completeTs=_now_ns(), zipObjectKey=key)
    log.info(f"Export {export_id} completed ({len(blob)} bytes)", target="application::exports")


def _build_zip(d: Dict[str, Any], include_storage: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.md", ZIP_README)
        tables = sorted(d["documents"])
        z.writestr(
            "_tables/documents.jsonl",
            "".join(json.dumps({"name": t, "id": i + 10001}) + "\n" for i, t in enumerate(tables)),
        )
        for t in tables:
            z.writestr(f"{t}/documents.jsonl", "".join(json.dumps(doc) + "\n" for doc in d["documents"][t]))
            z.writestr(f"{t}/generated_schema.jsonl", json.dumps("uniform") + "\n")
        if include_storage:
            docs = []
            for sid, meta in sorted(d["files"].items()):
                docs.append({"_id": sid, "_creationTime": meta["creationTime"], "sha256": meta["sha256"],
                             "size": meta["size"], "contentType": meta.get("contentType")})
                z.writestr(f"_storage/{sid}", server.BACKEND.storage.get("files", sid))
            z.writestr("_storage/documents.jsonl", "".join(json.dumps(x) + "\n" for x in docs))
        for path, m in sorted(d["modules"].items()):
            z.writestr(f"_standin_modules/{path}", m["source"])
    return buf.getvalue()


def get_zip(h, snapshot_id: str) -> None:
    h.require_admin()
    if not snapshot_id.isdigit():
        raise HttpError(400, "BadSnapshotId", "Snapshot Id did not parse to an ID.")
    ts = int(snapshot_id)
    exports = server.BACKEND.state.read(lambda d: d["exports"])
    e = next((x for x in exports if x["startTs"] == ts and x["state"] == "completed"), None)
    if e is None:
        raise HttpError(404, "ExportNotFound", f"The requested export {snapshot_id} was not found")
    blob = server.BACKEND.storage.get("exports", e["zipObjectKey"])
    filename = f"snapshot_{server.BACKEND.name}_{ts}.zip"
    h.send(200, blob, "application/zip", {"Content-Disposition": f"attachment; filename={filename}",
                                          "Cache-Control": "private, max-age=2592000"})


# ---- file storage -------------------------------------------------------------
def store_file(h) -> None:
    """Stand-in-only hook (POST /__standin/files, admin key): stores the body as
    a file, as a generateUploadUrl + upload would, since the stand-in runs no
    mutations."""
    h.require_admin()
    data = h._body()
    sid = "kg" + uuid.uuid4().hex[:30]
    server.BACKEND.storage.put("files", sid, data)
    meta = {"sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(), "size": len(data),
            "contentType": h.headers.get("Content-Type"), "creationTime": time.time() * 1000}
    server.BACKEND.state.write(lambda d: d["files"].__setitem__(sid, meta))
    h.send_json(200, {"storageId": sid})


def insert_document(h) -> None:
    """Stand-in-only hook (POST /__standin/documents {table, document})."""
    h.require_admin()
    body = h.json_body()
    table, doc = body.get("table"), dict(body.get("document") or {})
    if not isinstance(table, str) or not table or table.startswith("_"):
        raise HttpError(400, "BadTable", "table must be a non-empty name not starting with _")
    doc.setdefault("_id", uuid.uuid4().hex[:32])
    doc.setdefault("_creationTime", time.time() * 1000)
    server.BACKEND.state.write(lambda d: d["documents"].setdefault(table, []).append(doc))
    h.send_json(200, {"_id": doc["_id"]})


def get_file(h, sid: str) -> None:
    meta = server.BACKEND.state.read(lambda d: d["files"].get(sid))
    if meta is None:
        h.send(404, b"", "text/plain")
        return
    h.send(200, server.BACKEND.storage.get("files", sid), meta.get("contentType") or "application/octet-stream")


def register(route) -> None:
    route("POST", "/api/export/request/zip")(request_zip)
    route("GET", "/api/export/zip/([^/]+)")(get_zip)
    route("GET", "/api/storage/([^/]+)")(get_file)
    route("POST", "/__standin/files")(store_file)
    route("POST", "/__standin/documents")(insert_document)
