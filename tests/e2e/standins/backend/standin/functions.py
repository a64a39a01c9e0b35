"""Answering function calls without running any code.

User functions: only what analysis.py recorded at deploy (a literal the
handler returns, else null). System functions the CLI subscribes to are
implemented from the stand-in's state.
"""

import base64
import struct
import urllib.request
from typing import Any, Dict, Optional, Tuple

from . import analysis, server


def parse_udf_path(path: str) -> Tuple[str, str]:
    module, _, name = path.partition(":")
    module = analysis.module_name(module)
    return module, (name or "default")


def int64(value: int) -> Dict[str, str]:
    """Convex JSON encoding of a bigint (values/value.ts)."""
    return {"$integer": base64.b64encode(struct.pack("<q", value)).decode()}


def _latest_export(d: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    if not d["exports"]:
        return None
    e = d["exports"][-1]
    out: Dict[str, Any] = {"_id": e["id"], "_creationTime": e["creationTime"], "state": e["state"],
                           "format": {"format": "zip", "include_storage": e["includeStorage"]},
                           "requestor": "cliExport"}
    if e["state"] == "completed":
        out.update({"start_ts": int64(e["startTs"]), "complete_ts": int64(e["completeTs"]),
                    "zip_object_key": e["zipObjectKey"], "expiration_ts": int64(e["completeTs"] + 14 * 86400 * 10**9)})
    elif e["state"] == "failed":
        out["failed_ts"] = int64(e["completeTs"])
    else:
        out["start_ts"] = int64(e["startTs"])
    return out


def system_query(path: str, args: Dict[str, Any]) -> Tuple[bool, Any]:
    """(found, value) for the _system functions the CLI uses."""
    state = server.BACKEND.state
    if path in ("_system/cli/queryEnvironmentVariables", "_system/cli/queryEnvironmentVariables:default"):
        return True, state.read(lambda d: [{"name": k, "value": v} for k, v in sorted(d["env"].items())])
    if path == "_system/cli/queryEnvironmentVariables:get":
        # Upstream reads process.env inside the function, which also holds the
        # system variables CONVEX_CLOUD_URL / CONVEX_SITE_URL (the origins);
        # CLI 1.31-1.34 read CONVEX_SITE_URL this way.
        name = args.get("name")
        builtins = {"CONVEX_CLOUD_URL": server.BACKEND.cloud_origin, "CONVEX_SITE_URL": server.BACKEND.site_origin}
        value = state.read(lambda d: d["env"].get(name))
        if value is None:
            value = builtins.get(name)
        return True, None if value is None else {"name": name, "value": value}
    if path == "_system/cli/exports:getLatest":
        return True, state.read(_latest_export)
    return False, None


def not_found_message(path: str) -> str:
    module, name = parse_udf_path(path)
    # crates/udf/src/validation.rs missing_or_internal_error
    return f"Could not find public function for '{module}:{name}'."


def call(path: str, args: Any, udf_type: Optional[str], admin: bool) -> Tuple[bool, Any]:
    """(ok, value or error message)."""
    if path.startswith("_system/"):
        if not admin:
            return False, not_found_message(path)
        found, value = system_query(path, args or {})
        if not found:
            return False, f"Could not find function for '{path}'. Did you forget to run `npx convex dev`?"
        return True, value
    module, name = parse_udf_path(path)
    fn = server.BACKEND.state.read(lambda d: d["functions"].get(f"{module}:{name}"))
    if fn is None or (fn["visibility"] != "public" and not admin):
        return False, not_found_message(path)
    if udf_type and fn["udfType"] != udf_type:
        return False, (
            f"Trying to execute {module}.js:{name} as {udf_type}, but it is defined as {fn['udfType']}."
        )
    if fn["udfType"] == "Action":
        problem = action_callback()
        if problem:
            return False, problem
    return True, fn.get("value")


def action_callback() -> Optional[str]:
    """An action's ctx.runQuery/runMutation reaches the backend through
    CONVEX_CLOUD_ORIGIN from inside the backend's container (upstream's
    self-hosted/docker-build/run_backend.sh: the origins "show up in storage
    urls, action callbacks"; the backend itself listens on 3210/3211 there).
    The stand-in makes that call for every action: an origin that nothing in
    the container answers fails the action as it fails the user's (the
    wording is Node's fetch error, not upstream's exact text)."""
    origin = server.BACKEND.cloud_origin
    if not origin:
        return None
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(origin.rstrip("/") + "/version", timeout=10) as resp:
            resp.read()
    except (OSError, ValueError) as exc:
        return (
            f"Uncaught TypeError: fetch failed (action callback to CONVEX_CLOUD_ORIGIN {origin} "
            f"from inside the backend's container: {exc})"
        )
    return None


def http_result(path: str, args: Any, udf_type: Optional[str], admin: bool) -> Dict[str, Any]:
    ok, value = call(path, args, udf_type, admin)
    if ok:
        return {"status": "success", "value": value}
    return {"status": "error", "errorMessage": value}
