"""Persisted state of the stand-in: one JSON document in $DATA_DIR.

Upstream keeps this in SQLite (db.sqlite3) plus blobs in storage/; the
stand-in keeps the same facts in $DATA_DIR/standin-db.json (storage tag,
deployed modules and their analysis, environment variables, documents, file
metadata, exports) and blobs in the storage backend (storage.py). Every
change is written atomically (temp file, fsync, rename).
"""

import copy
import json
import os
import threading
import time
from typing import Any, Callable, Dict

from . import config

EMPTY: Dict[str, Any] = {
    "storageType": None,  # {"tag": "Local", "dir": ...} | {"tag": "S3", "s3Prefix": ...}
    "ts": 0,  # last commit timestamp, nanoseconds
    "dbVersion": None,  # newest release date that opened this data
    "config": None,  # {"functions": "convex/", "authInfo": [...]}
    "udfServerVersion": None,
    "modules": {},  # path -> {environment, sha256, source, sourceMap}
    "functions": {},  # "module:export" -> {udfType, visibility, value}
    "schema": None,
    "schemas": {},  # id -> {"state": ...}
    "env": {},  # name -> value
    "documents": {},  # table -> [document]
    "files": {},  # storage id -> {sha256, size, contentType, creationTime}
    "exports": [],  # [{id, state, startTs, completeTs, zipObjectKey, includeStorage}]
}


def path() -> str:
    return os.path.join(config.data_dir(), "standin-db.json")


class State:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.data = copy.deepcopy(EMPTY)
        try:
            with open(path(), encoding="utf-8") as f:
                loaded = json.load(f)
            self.data.update(loaded)
        except FileNotFoundError:
            pass

    def read(self, fn: Callable[[Dict[str, Any]], Any]) -> Any:
        with self._lock:
            return copy.deepcopy(fn(self.data))

    def write(self, fn: Callable[[Dict[str, Any]], Any]) -> Any:
        """Run fn on the data, bump the commit timestamp, persist, wake
        subscribers. Returns fn's result."""
        with self._lock:
            result = fn(self.data)
            self.data["ts"] = max(self.data["ts"] + 1, time.time_ns())
            self._persist()
            self._changed.notify_all()
            return copy.deepcopy(result)

    def wait_for_change(self, after_ts: int, timeout: float) -> int:
        with self._lock:
            self._changed.wait_for(lambda: self.data["ts"] != after_ts, timeout)
            return self.data["ts"]

    def _persist(self) -> None:
        target = path()
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.tmp{os.getpid()}.{threading.get_ident()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
