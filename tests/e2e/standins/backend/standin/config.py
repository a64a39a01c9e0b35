"""Environment, paths and release gates of the backend stand-in.

The variables are the ones upstream's self-hosted image reads
(self-hosted/docker-build/run_backend.sh, read_credentials.sh and
crates/local_backend/src/config.rs). Host runs may move the paths and ports
with DATA_DIR / STORAGE_DIR (upstream honours those too) and the
stand-in-only STANDIN_BIND / STANDIN_PORT / STANDIN_SITE_PORT.
"""

import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from . import log

DEFAULT_INSTANCE_NAME = "convex-self-hosted"
S3_BUCKET_VARS = (
    "S3_STORAGE_EXPORTS_BUCKET",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET",
    "S3_STORAGE_MODULES_BUCKET",
    "S3_STORAGE_FILES_BUCKET",
    "S3_STORAGE_SEARCH_BUCKET",
)

# Release dates (YYYY-MM-DD of the upstream commit that introduced the
# behaviour). A stand-in built with RELEASE_DATE=D behaves like the upstream
# release of day D. Sources: get-convex/convex-backend history, see README.md.
GATES = {
    # crates/local_backend/src/schema.rs 9d7e04644: prepare_schema replies
    # with `enabled`/`disabled` (staged indexes).
    "prepare_schema_enabled_disabled": "2025-08-15",
    # 3b7b89578 (2025-08-27, after the 2025-08-27 row's 08139ef3; first in
    # the 2025-09-04 row): GET /api/v1/list_environment_variables
    # (crates/local_backend/src/router.rs).
    "list_environment_variables": "2025-08-28",
    # 4ea34d578: GET /api/v1/get_canonical_urls.
    "get_canonical_urls": "2025-10-10",
    # ef9b6644c: POST /api/deploy2/evaluate_push.
    "evaluate_push": "2025-11-04",
    # e3c49f883: start_push accepts changedModules/unchangedModuleHashes.
    "changed_modules": "2026-01-22",
    # crates/aws_utils/src/lib.rs, checked at each pinned row's SHA: 33cef775
    # reads AWS_S3_FORCE_PATH_STYLE (eq_ignore_ascii_case "true"), 08139ef3
    # parses it as a Rust bool, 00bd9272 adds AWS_S3_DISABLE_SSE and
    # AWS_S3_DISABLE_CHECKSUMS (row dates).
    "s3_force_path_style": "2025-08-05",
    "s3_force_path_style_strict": "2025-08-27",
    "s3_disable_sse": "2025-09-04",
    # be6281bf5: environment variable names up to 256 characters (40 before).
    "env_var_names_256": "2026-05-04",
    # ca1f91cde: S3 mode no longer needs AWS_ACCESS_KEY_ID/SECRET.
    "s3_without_static_keys": "2026-04-09",
    # 5c36309ed: check_admin_key replies with allowedOps/isReadOnly.
    "check_admin_key_allowed_ops": "2026-04-16",
}

RELEASE_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def release_date() -> str:
    value = os.environ.get("CONVEX_STANDIN_RELEASE_DATE", "").strip()
    if not RELEASE_DATE_RE.match(value):
        raise SystemExit(
            "convex stand-in: CONVEX_STANDIN_RELEASE_DATE must be YYYY-MM-DD "
            f"(the upstream release this image stands for), got {value!r}; "
            "build the image with --build-arg RELEASE_DATE=YYYY-MM-DD"
        )
    return value


def has(feature: str) -> bool:
    return release_date() >= GATES[feature]


def data_dir() -> str:
    return os.environ.get("DATA_DIR") or "/convex/data"


def storage_dir() -> str:
    return os.environ.get("STORAGE_DIR") or os.path.join(data_dir(), "storage")


def credentials_dir() -> str:
    return os.environ.get("CREDENTIALS_DIR") or os.path.join(data_dir(), "credentials")


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def _write_private(path: str, value: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    os.replace(tmp, path)


def resolve_credentials() -> Dict[str, str]:
    """Same order as upstream's read_credentials.sh: environment, then the
    files in $CREDENTIALS_DIR, then a default (name) or a fresh random
    secret; the result is written back to the files."""
    cdir = credentials_dir()
    secret = (
        os.environ.get("INSTANCE_SECRET")
        or _read(os.path.join(cdir, "instance_secret"))
        or secrets.token_hex(32)
    )
    name = (
        os.environ.get("INSTANCE_NAME")
        or _read(os.path.join(cdir, "instance_name"))
        or DEFAULT_INSTANCE_NAME
    )
    _write_private(os.path.join(cdir, "instance_secret"), secret)
    _write_private(os.path.join(cdir, "instance_name"), name)
    return {"name": name, "secret": secret}


def secret_bytes(secret_hex: str) -> bytes:
    """crates/keybroker/src/secret.rs: 32 bytes, hex encoded."""
    try:
        raw = bytes.fromhex(secret_hex)
    except ValueError:
        raise ValueError("Invalid hex in instance secret") from None
    if len(raw) != 32:
        raise ValueError(f"Hex-decoded key was {len(raw)} bytes, not 32")
    return raw


@dataclass
class StorageChoice:
    mode: str  # "local" or "s3"
    local_dir: str = ""
    warnings: List[str] = field(default_factory=list)


def choose_storage() -> StorageChoice:
    """run_backend.sh: S3 only when AWS_REGION and the five buckets are set
    (before 2026-04-09 also AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY);
    otherwise local storage, with a warning when only some are set."""
    wanted = ["AWS_REGION"]
    if not has("s3_without_static_keys"):
        wanted += ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    wanted += list(S3_BUCKET_VARS)
    missing = [v for v in wanted if not os.environ.get(v)]
    if not missing:
        return StorageChoice(mode="s3")
    choice = StorageChoice(mode="local", local_dir=storage_dir())
    if len(missing) < len(wanted):
        choice.warnings = [
            "Warning: Some AWS/S3 environment variables are missing. Falling back to local storage.",
            "Missing variables: " + " ".join(missing),
        ]
    return choice


def origin(var: str, default_port: int, kind: str) -> str:
    """config.rs convex_origin_url / convex_site_url: empty is allowed,
    anything else must start with http:// or https://."""
    value = os.environ.get(var)
    if value is None:
        value = f"http://127.0.0.1:{default_port}"
    if value and not (value.startswith("https://") or value.startswith("http://")):
        raise ValueError(f"{kind} url should start with https:// or http:// but got '{value}'")
    return value


def bind_address() -> str:
    return os.environ.get("STANDIN_BIND") or "0.0.0.0"


def api_port() -> int:
    return int(os.environ.get("STANDIN_PORT") or 3210)


def site_port() -> int:
    return int(os.environ.get("STANDIN_SITE_PORT") or 3211)


def version_string() -> str:
    # crates/metrics: CONVEX_RELEASE_VERSION_DEV, else "unknown" for images
    # built without a compile-time version.
    return os.environ.get("CONVEX_RELEASE_VERSION_DEV") or "unknown"


def log_config_summary() -> None:
    log.info(f"stand-in for the upstream release of {release_date()}")
