"""Routes of the backend stand-in (crates/local_backend/src/router.rs names)."""

import json
import re
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import config, exports, functions, log, push, server, sync
from .server import HttpError

Route = Tuple[str, "re.Pattern[str]", Callable[..., None], Optional[str]]
ROUTES: List[Route] = []


def route(method: str, pattern: str, gate: Optional[str] = None):
    def deco(fn):
        ROUTES.append((method, re.compile("^" + pattern + "$"), fn, gate))
        return fn

    return deco


def not_found(h) -> None:
    # axum's fallback: 404 with an empty body.
    h.send(404, b"", "text/plain; charset=utf-8")


def dispatch(h) -> None:
    path = h.route_path()
    method = h.command
    if method == "OPTIONS":
        h.send(
            200,
            b"",
            "text/plain",
            {
                "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": h.headers.get("Access-Control-Request-Headers") or "*",
                "Access-Control-Max-Age": "86400",
            },
        )
        return
    if method == "HEAD":
        method = "GET"
    for m, pattern, fn, gate in ROUTES:
        match = pattern.match(path)
        if match and m == method:
            if gate and not config.has(gate):
                not_found(h)
                return
            fn(h, *match.groups())
            return
    not_found(h)


# ---- health / meta --------------------------------------------------------
@route("GET", "/")
def root(h) -> None:
    h.send_text(200, "This Convex deployment is running. See https://docs.convex.dev/.")


@route("GET", "/version")
def version(h) -> None:
    h.send_text(200, config.version_string())


@route("GET", "/instance_version")
def instance_version(h) -> None:
    h.send_text(200, config.version_string())


@route("GET", "/instance_name")
def instance_name(h) -> None:
    h.send_text(200, server.BACKEND.name)


@route("GET", "/api/check_admin_key")
def check_admin_key(h) -> None:
    h.require_admin()
    if config.has("check_admin_key_allowed_ops"):
        h.send_json(200, {"success": True, "allowedOps": [], "isReadOnly": False})
    else:
        h.send_json(200, {"success": True})


# ---- functions ------------------------------------------------------------
def _run(h, udf_type: Optional[str], path: str, args: Any) -> None:
    admin = False
    key = h.presented_key()
    if key:
        if not server.BACKEND.key_ok(key):
            raise server.bad_admin_key()
        admin = True
    # Upstream takes the arguments as an object or, as ConvexHttpClient
    # sends them, as an array holding that one object.
    if isinstance(args, list):
        if len(args) != 1 or not isinstance(args[0], dict):
            raise HttpError(400, "BadJsonBody", "args must be an object or an array of one object")
        args = args[0]
    h.send_json(200, functions.http_result(path, args, udf_type, admin))


@route("POST", "/api/query")
def query_post(h) -> None:
    body = h.json_body()
    _run(h, "Query", body.get("path", ""), body.get("args", {}))


@route("GET", "/api/query")
def query_get(h) -> None:
    q = h.query_params()
    try:
        args = json.loads(q.get("args") or "{}")
    except ValueError:
        raise HttpError(400, "BadQueryArgs", "args is not valid JSON") from None
    _run(h, "Query", q.get("path", ""), args)


@route("POST", "/api/mutation")
def mutation_post(h) -> None:
    body = h.json_body()
    _run(h, "Mutation", body.get("path", ""), body.get("args", {}))


@route("POST", "/api/action")
def action_post(h) -> None:
    body = h.json_body()
    _run(h, "Action", body.get("path", ""), body.get("args", {}))


@route("POST", "/api/function")
def function_post(h) -> None:
    body = h.json_body()
    _run(h, None, body.get("path", ""), body.get("args", {}))


@route("POST", "/api/run/(.+)")
def run_by_path(h, rest: str) -> None:
    body = h.json_body()
    parts = rest.split("/")
    if len(parts) < 2:
        raise HttpError(
            400, "MissingIdentifier", "Path or function name not provided in path, e.g. /api/run/messages/list"
        )
    _run(h, None, "/".join(parts[:-1]) + ":" + parts[-1], body.get("args", {}))


@route("GET", "/api/stream_function_logs")
def stream_function_logs(h) -> None:
    h.require_admin()
    cursor = int(h.query_params().get("cursor") or 0)
    # Upstream long-polls until log entries exist; the stand-in runs no
    # functions, so it never has any: wait briefly and report none.
    time.sleep(0.5)
    h.send_json(200, {"entries": [], "newCursor": max(cursor, int(time.time() * 1000))})


# ---- environment variables -------------------------------------------------
# crates/common/src/types/environment_variables.rs: NAME_REGEX, names up to
# 40 characters before be6281bf5 (2026-05-04) and 256 from it, values up to
# 8 KiB (bytes); upstream's error codes and messages.
ENV_NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
MAX_VALUE_LENGTH = 8 * 1024


def _env_change_error(name: str, value: Any) -> Optional[HttpError]:
    if not ENV_NAME.match(name):
        return HttpError(
            400,
            "EnvironmentVariableNameInvalid",
            f"The environment variable name {name} is invalid. Environment variable names must begin "
            "with a letter and may only include characters a-z, A-Z, 0-9, and underscores.",
        )
    limit = 256 if config.has("env_var_names_256") else 40
    if len(name) > limit:
        return HttpError(
            400,
            "EnvironmentVariableNameTooLong",
            f"The environment variable name {name} is too long. Environment variable names must be "
            f"less than {limit}.",
        )
    if value is not None:
        size = len(str(value).encode())
        if size > MAX_VALUE_LENGTH:
            return HttpError(
                400,
                "EnvironmentVariableValueTooLarge",
                f"The environment variable value is {size} bytes, which is too large. (max size: "
                f"{MAX_VALUE_LENGTH}",
            )
    return None


@route("POST", "/api/update_environment_variables")
def update_environment_variables(h) -> None:
    h.require_admin()
    body = h.json_body()
    changes = body.get("changes")
    if not isinstance(changes, list):
        raise server.bad_json("missing field `changes`")
    for change in changes:
        problem = _env_change_error(change.get("name", ""), change.get("value"))
        if problem:
            raise problem

    def apply(d: Dict[str, Any]) -> None:
        for change in changes:
            if change.get("value") is None:
                d["env"].pop(change["name"], None)
            else:
                d["env"][change["name"]] = str(change["value"])

    server.BACKEND.state.write(apply)
    log.info(f"updated {len(changes)} environment variable(s)")  # names/values never logged
    h.send_json(200, {})


@route("GET", "/api/v1/list_environment_variables", gate="list_environment_variables")
def list_environment_variables(h) -> None:
    h.require_admin()
    env = server.BACKEND.state.read(lambda d: d["env"])
    h.send_json(200, {"environmentVariables": env})


# ---- canonical urls -----------------------------------------------------------
@route("GET", "/api/v1/get_canonical_urls", gate="get_canonical_urls")
def get_canonical_urls(h) -> None:
    h.require_admin()
    h.send_json(
        200,
        {"convexCloudUrl": server.BACKEND.cloud_origin, "convexSiteUrl": server.BACKEND.site_origin},
    )


# ---- HTTP actions: /http/* on 3210, everything on 3211 ----------------------
@route("GET", "/http(/.*)?")
def http_action_get(h, _rest=None) -> None:
    site_proxy(h)


@route("POST", "/http(/.*)?")
def http_action_post(h, _rest=None) -> None:
    site_proxy(h)


def site_proxy(h) -> None:
    """proxy.rs forwards everything to /http<path> on 3210. The stand-in runs
    no HTTP actions: it answers like a deployment without http.js, or like a
    router with no matching route when an http.js was deployed."""
    if h.command == "OPTIONS":
        dispatch(h)
        return
    has_router = server.BACKEND.state.read(lambda d: "http.js" in d["modules"])
    if has_router:
        # isolate/src/environment/action/mod.rs: the router matched nothing
        # (the stand-in runs no routes at all).
        h.send_text(404, "No matching routes found")
    else:
        # application_function_runner/http_routing.rs
        h.send_text(404, "This Convex deployment does not have HTTP actions enabled.")


# ---- sync websocket ---------------------------------------------------------
@route("GET", "/api/[^/]+/sync")
def sync_versioned(h) -> None:
    sync.handle(h)


@route("GET", "/api/sync")
def sync_plain(h) -> None:
    sync.handle(h)


@route("GET", "/__standin/sync-log")
def sync_log(h) -> None:
    """Stand-in-only: every sync upgrade request seen (path, Host, Origin)."""
    with server.BACKEND.sync_log_lock:
        entries = list(server.BACKEND.sync_log)
    h.send_json(200, entries)


push.register(route)
exports.register(route)
