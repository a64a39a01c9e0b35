"""HTTP server of the backend stand-in: port 3210 (API, sync websocket) and
3211 (site proxy for HTTP actions)."""

import gzip
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional

from . import config, keys, log, my, pg, storage
from .state import State

try:
    import brotli  # python3-brotli
except ImportError:  # pragma: no cover - the image always has it
    brotli = None


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_admin_key() -> HttpError:
    # crates/authentication/src/application_auth.rs
    return HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance")


def bad_deploy_key() -> HttpError:
    # crates/keybroker/src/operations.rs bad_admin_key_error(None)
    return HttpError(
        403,
        "BadDeployKey",
        "The provided deploy key was invalid for this deployment. Double check that the "
        "environment this key was generated for matches the desired deployment.",
    )


def bad_json(message: str) -> HttpError:
    return HttpError(
        400, "BadJsonBody", f"Failed to deserialize the JSON body into the target type: {message}"
    )


class Backend:
    """Everything the handlers share."""

    def __init__(self) -> None:
        self.creds = config.resolve_credentials()
        self.state = State()
        self.storage = None
        self.storage_error: Optional[str] = None
        self.cloud_origin = ""
        self.site_origin = ""
        self.sync_log = []  # [{path, host, origin, time}]
        self.sync_log_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.creds["name"]

    def key_ok(self, key: str) -> bool:
        return keys.check(key, self.creds["name"], self.creds["secret"])


BACKEND: Optional[Backend] = None

# Redact query parameters that carry credentials before a path is logged.
_SECRET_PARAMS = re.compile(r"((?:adminKey|admin_key|token|key)=)[^&]*", re.IGNORECASE)


def redact_path(path: str) -> str:
    return _SECRET_PARAMS.sub(r"\1<redacted>", path)


class Handler(BaseHTTPRequestHandler):
    server_version = "convex-standin"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    site_proxy = False

    # ---- plumbing -------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # request lines are logged by _log_request

    def _log_request(self, status: int, started: float) -> None:
        ms = (time.monotonic() - started) * 1000
        port = "site" if self.site_proxy else "api"
        log.info(
            f"{self.command} {redact_path(self.path)} {status} {ms:.0f}ms ({port})",
            target="convex_standin::http",
        )

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length and not self._body_read else b""
        self._body_read = True
        enc = (self.headers.get("Content-Encoding") or "").lower()
        if enc == "br":
            if brotli is None:
                raise HttpError(500, "Internal", "python3-brotli is missing in the stand-in")
            try:
                return brotli.decompress(raw)
            except brotli.error as exc:
                raise HttpError(400, "BadBody", f"invalid brotli body: {exc}") from None
        if enc == "gzip":
            return gzip.decompress(raw)
        if enc == "deflate":
            return zlib.decompress(raw)
        return raw

    def json_body(self) -> Any:
        raw = self._body()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad_json(f"{exc}") from None

    def send(self, status: int, body: bytes, content_type: str, extra: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        origin = self.headers.get("Origin")
        if origin:
            # router.rs cors(): mirror any origin, credentials allowed.
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "origin")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._status = status

    def send_json(self, status: int, value: Any) -> None:
        self.send(status, json.dumps(value).encode(), "application/json")

    def send_text(self, status: int, text: str) -> None:
        self.send(status, text.encode(), "text/plain; charset=utf-8")

    def send_error_json(self, err: HttpError) -> None:
        self.send_json(err.status, {"code": err.code, "message": err.message})

    def query_params(self) -> Dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def route_path(self) -> str:
        return urllib.parse.urlsplit(self.path).path

    # ---- auth -----------------------------------------------------------
    def presented_key(self) -> Optional[str]:
        header = self.headers.get("Authorization")
        if header:
            scheme, _, rest = header.partition(" ")
            if scheme.lower() == "convex":
                return rest.strip()
            return None
        return self.query_params().get("adminKey")

    def require_admin(self, body_key: Optional[str] = None) -> None:
        key = self.presented_key() or body_key
        if not key:
            raise bad_deploy_key()
        if not BACKEND.key_ok(key):
            raise bad_admin_key()

    # ---- dispatch -------------------------------------------------------
    def _dispatch(self) -> None:
        started = time.monotonic()
        self._status = 0
        self._body_read = False
        try:
            from . import routes  # late import: routes imports this module

            if self.site_proxy:
                routes.site_proxy(self)
            else:
                routes.dispatch(self)
        except HttpError as err:
            self.send_error_json(err)
        except storage.StorageError as err:
            log.caught(str(err))
            self.send_error_json(HttpError(500, "InternalServerError", str(err)))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - report, never crash the server
            log.error(f"unhandled {type(exc).__name__}: {exc}")
            try:
                self.send_error_json(HttpError(500, "InternalServerError", "Your request couldn't be completed. Try again later."))
            except OSError:
                pass
        finally:
            if self._status:
                self._log_request(self._status, started)
            if not self._body_read and not self.close_connection:
                # Keep the connection usable: drop a body nobody read.
                try:
                    self._body()
                except (OSError, ValueError, HttpError):
                    self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _dispatch


class SiteHandler(Handler):
    site_proxy = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _fail(message: str) -> None:
    """A fatal start-up error, reported like upstream's MainError: an ERROR
    trace line, then `Error: <message>` on stderr, exit status 1."""
    log.caught(message)
    log.plain(f"Error: {message}", stream=sys.stderr)
    sys.exit(1)


def connect_database(backend: Backend) -> None:
    """POSTGRES_URL / MYSQL_URL: connect like the real backend (the URL exactly as given,
    the database INSTANCE_NAME with '-' -> '_') and refuse to start with the
    server's error when that fails. Without it: SQLite in the data volume."""
    # Upstream's precedence: POSTGRES_URL > MYSQL_URL.
    url = os.environ.get("POSTGRES_URL", "")
    client, kind = pg, "Postgres"
    if not url:
        url = os.environ.get("MYSQL_URL", "")
        client, kind = my, "MySQL"
    if not url:
        return
    database = backend.name.replace("-", "_")
    try:
        client.check_database(url, database)
    except pg.PgError as exc:
        _fail(str(exc))
    log.info(f"Connected to {kind}", target=kind.lower())


def initialize_storage(backend: Backend) -> None:
    choice = config.choose_storage()
    for line in choice.warnings:
        log.plain(line)
    if choice.mode == "s3":
        initializer = {"tag": "S3"}
    else:
        initializer = {"tag": "Local", "dir": choice.local_dir}
    current = backend.state.read(lambda d: d["storageType"])
    name = backend.name
    if current is None:
        if initializer["tag"] == "S3":
            tag = {"tag": "S3", "s3Prefix": f"{name}-{uuid.uuid4()}/"}
        else:
            tag = initializer
        backend.state.write(lambda d: d.__setitem__("storageType", tag))
        current = tag
    elif current["tag"] == "Local" and initializer["tag"] == "Local":
        if current["dir"] != initializer["dir"]:
            log.info(f"Switching storage tag from local dir {current['dir']} to {initializer['dir']}")
            backend.state.write(lambda d: d.__setitem__("storageType", initializer))
            current = initializer
    elif current["tag"] == "S3" and initializer["tag"] == "S3":
        if not current["s3Prefix"].startswith(f"{name}-"):
            _fail(f"Cannot use s3 storage path {current['s3Prefix']} with {name}")
    else:
        # crates/model/src/database_globals/mod.rs initialize_storage_tag
        _fail(
            f"Database was initialized with Some({storage.describe(current)}), "
            f"but backend started up with {storage.describe(initializer, initializer=True)}."
        )
    backend.storage = storage.open_storage(current)
    if current["tag"] == "S3":
        log.info(f"Using S3 storage with prefix {current['s3Prefix']}")
        problem = backend.storage.probe()
        if problem:
            backend.storage_error = problem
            log.caught(problem)
        elif backend.storage.endpoint:
            log.info(f"S3 endpoint {backend.storage.endpoint_host()} is reachable")
        else:
            log.warn("S3 mode without S3_ENDPOINT_URL: the stand-in sends nothing to AWS; storage writes will fail")
    else:
        log.info(f"Using local storage at {current['dir']}")


def migrate(backend: Backend, release: str) -> None:
    """crates/model/src/migrations.rs: upstream migrates its database forward
    one integer version at a time and only warns when the database is ahead
    of the binary. The stand-in uses release dates in place of the version
    numbers (which it does not know per release)."""
    persisted = backend.state.read(lambda d: d.get("dbVersion"))
    target = "model::migrations"
    if persisted is None or persisted < release:
        if persisted is not None:
            log.info(f"Migrating to {release}", target=target)
        backend.state.write(lambda d: d.__setitem__("dbVersion", release))
        if persisted is not None:
            log.info(f"Migrated {release}", target=target)
    elif persisted == release:
        log.info(f"db metadata version up to date at {release}", target=target)
    else:
        log.warn(f"persisted db metadata version is ahead at {persisted}, this binary is at {release}", target=target)


def serve() -> None:
    global BACKEND
    release = config.release_date()
    log.info("Starting a Convex backend", target="convex_local_backend")
    log.info(f"Stand-in for the upstream self-hosted release of {release} (tests only)")
    try:
        cloud = config.origin("CONVEX_CLOUD_ORIGIN", 3210, "Origin")
        site = config.origin("CONVEX_SITE_ORIGIN", 3211, "Site")
    except ValueError as exc:
        _fail(str(exc))
    os.makedirs(config.data_dir(), exist_ok=True)
    backend = Backend()
    try:
        config.secret_bytes(backend.creds["secret"])
    except ValueError as exc:
        _fail(str(exc))
    backend.cloud_origin = cloud
    backend.site_origin = site
    BACKEND = backend
    connect_database(backend)
    initialize_storage(backend)
    migrate(backend, release)

    bind = config.bind_address()
    api = Server((bind, config.api_port()), Handler)
    site_srv = Server((bind, config.site_port()), SiteHandler)
    threads = [
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        for srv in (api, site_srv)
    ]
    for t in threads:
        t.start()
    log.info(f"backend listening on {bind}:{config.api_port()}", target="convex_local_backend")
    log.info(f"site proxy listening on {bind}:{config.site_port()}", target="convex_local_backend")

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info(f"Received {signal.Signals(signum).name}, shutting down", target="convex_local_backend")
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    if os.getpid() == 1:
        # Upstream's crates/local_backend/src/main.rs (903b8b96) waits only
        # for signal::ctrl_c (SIGINT). As PID 1 the kernel drops a signal
        # without a handler, so SIGTERM does nothing there: `docker stop`
        # without `stop_signal: SIGINT` waits for the SIGKILL.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, on_signal)
    while not stop.wait(0.5):
        pass
    for srv in (api, site_srv):
        srv.shutdown()
        srv.server_close()
    log.info("Server shut down", target="convex_local_backend")

