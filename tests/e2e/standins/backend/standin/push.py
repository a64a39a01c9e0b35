"""Push protocols the pinned CLIs use.

- Non-components push (CLI 1.24.x without convex/convex.config.ts):
  prepare_schema -> schema_state/<id> -> get_config_hashes -> push_config.
- deploy2 (components path; every push of newer CLIs):
  get_config_hashes -> [evaluate_push] -> start_push -> wait_for_schema ->
  finish_push -> report_push_completed.
Reply shapes follow crates/local_backend/src/{deploy_config,deploy_config2,
schema}.rs and the CLI's zod schemas; which routes and fields exist follows
the release date (config.GATES).
"""

import hashlib
import json
import threading
import time
import uuid
from typing import Any, Dict, List, Optional

from . import analysis, config, log, server
from .server import HttpError

_pending_lock = threading.Lock()
_pending: Dict[str, Dict[str, Any]] = {}


def module_hash(module: Dict[str, Any]) -> str:
    # Same digest the CLI computes (components.ts hash()), so unchanged
    # modules are recognised.
    h = hashlib.sha256(module.get("source", "").encode())
    h.update((module.get("sourceMap") or "").encode())
    return h.hexdigest()


def _admin(h, body: Dict[str, Any]) -> None:
    h.require_admin(body.get("adminKey") if isinstance(body, dict) else None)


def _missing_field_error(raw: str, container: str, field: str) -> HttpError:
    """serde_path_to_error + serde_json wording, with the position where the
    container object ends, like axum's JsonRejection text."""
    column = len(raw)
    key = f'"{container}":'
    at = raw.find(key)
    if at >= 0:
        try:
            _, end = json.JSONDecoder().raw_decode(raw, at + len(key))
            column = end
        except ValueError:
            pass
    return server.bad_json(f"{container}: missing field `{field}` at line 1 column {column}")


def _current_config(d: Dict[str, Any]) -> Dict[str, Any]:
    cfg = dict(d["config"] or {"functions": "convex/"})
    return cfg


def _store_modules(modules: List[Dict[str, Any]]) -> None:
    backend = server.BACKEND
    if backend.storage_error:
        # The S3 endpoint did not answer at start; fail like the first real
        # upload would.
        probe = backend.storage.probe()
        if probe:
            raise server.storage.StorageError(probe)
        backend.storage_error = None
    for m in modules:
        blob = json.dumps({"path": m["path"], "source": m["source"], "sourceMap": m.get("sourceMap")}).encode()
        backend.storage.put("modules", module_hash(m) + ".json", blob)


def _commit(modules: List[Dict[str, Any]], udf_server_version: str, cfg: Dict[str, Any],
            schema: Optional[Dict[str, Any]]) -> Dict[str, List[str]]:
    _store_modules(modules)
    funcs: Dict[str, Any] = {}
    analyzed_all = analysis.analyze_modules(modules)
    for m in modules:
        found = analyzed_all[m["path"]]
        if not found and analysis.has_exports(m["path"], m["source"]):
            log.warn(f"could not tell which functions {m['path']} exports; calls to them will not be found")
        for f in found:
            funcs[f"{analysis.module_name(m['path'])}:{f['name']}"] = {
                "udfType": f["udfType"], "visibility": f["visibility"], "value": f["value"],
            }

    def apply(d: Dict[str, Any]) -> Dict[str, List[str]]:
        before = set(d["modules"])
        d["modules"] = {
            m["path"]: {
                "environment": m.get("environment") or "isolate",
                "sha256": module_hash(m),
                "source": m["source"],
                "sourceMap": m.get("sourceMap"),
            }
            for m in modules
        }
        d["functions"] = funcs
        d["udfServerVersion"] = udf_server_version
        d["config"] = cfg
        d["schema"] = schema
        after = set(d["modules"])
        return {"added": sorted(after - before), "removed": sorted(before - after)}

    diff = server.BACKEND.state.write(apply)
    names = ", ".join(sorted(funcs)) or "none"
    log.info(f"deployed {len(modules)} module(s); functions: {names}")
    return diff


# ---- non-components path ----------------------------------------------------
def prepare_schema(h) -> None:
    body = h.json_body()
    _admin(h, body)
    schema_id = "standin-schema-" + uuid.uuid4().hex[:12]
    server.BACKEND.state.write(lambda d: d["schemas"].__setitem__(schema_id, {"state": "validated"}))
    reply: Dict[str, Any] = {"added": [], "dropped": []}
    if config.has("prepare_schema_enabled_disabled"):
        reply.update({"enabled": [], "disabled": []})
    reply["schemaId"] = schema_id
    h.send_json(200, reply)


def schema_state(h, schema_id: str) -> None:
    h.require_admin()
    s = server.BACKEND.state.read(lambda d: d["schemas"].get(schema_id))
    if s is None:
        raise HttpError(404, "SchemaNotFound", f"Schema {schema_id} not found")
    h.send_json(200, {"indexes": [], "schemaState": {"state": s["state"]}})


def get_config_hashes(h) -> None:
    body = h.json_body()
    _admin(h, body)

    def read(d):
        return {
            "config": _current_config(d),
            "moduleHashes": [
                {"path": p, "hash": m["sha256"], "environment": m["environment"]}
                for p, m in sorted(d["modules"].items())
            ],
            "udfServerVersion": d["udfServerVersion"],
            "nodeVersion": None,
        }

    h.send_json(200, server.BACKEND.state.read(read))


def get_config(h) -> None:
    body = h.json_body()
    _admin(h, body)

    def read(d):
        return {
            "config": _current_config(d),
            "modules": [
                {"path": p, "source": m["source"], "sourceMap": m["sourceMap"], "environment": m["environment"]}
                for p, m in sorted(d["modules"].items())
            ],
            "udfServerVersion": d["udfServerVersion"],
        }

    h.send_json(200, server.BACKEND.state.read(read))


def push_config(h) -> None:
    raw = h._body().decode()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise server.bad_json(str(exc)) from None
    _admin(h, body)
    for field in ("config", "modules", "udfServerVersion"):
        if field not in body:
            raise server.bad_json(f"missing field `{field}` at line 1 column {len(raw)}")
    cfg = {"functions": body["config"].get("functions", "convex/")}
    if body["config"].get("authInfo"):
        cfg["authInfo"] = body["config"]["authInfo"]
    schema_id = body.get("schemaId")
    _commit(body["modules"], body["udfServerVersion"], cfg, None)
    if schema_id:
        server.BACKEND.state.write(lambda d: d["schemas"].__setitem__(schema_id, {"state": "active"}))
    h.send_json(200, {})


# ---- deploy2 -------------------------------------------------------------------
def _read_push_request(h) -> Dict[str, Any]:
    raw = h._body().decode()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise server.bad_json(str(exc)) from None
    _admin(h, body)
    app = body.get("appDefinition")
    if not isinstance(app, dict):
        raise server.bad_json(f"missing field `appDefinition` at line 1 column {len(raw)}")
    if "functions" not in app and not config.has("changed_modules"):
        # Before e3c49f883 (2026-01-22) AppDefinitionConfigJson requires
        # `functions` (convex-backend#343, convex-js#123).
        raise _missing_field_error(raw, "appDefinition", "functions")
    if body.get("componentDefinitions"):
        raise HttpError(
            400, "StandinUnsupported",
            "The Convex stand-in does not support components (convex.config.ts with app.use); see tests/e2e/standins/README.md",
        )
    return body


def _modules_of(app: Dict[str, Any]) -> List[Dict[str, Any]]:
    if "functions" in app and "changedModules" not in app:
        return list(app["functions"])
    modules = list(app.get("changedModules") or [])
    stored = server.BACKEND.state.read(lambda d: d["modules"])
    for ref in app.get("unchangedModuleHashes") or []:
        m = stored.get(ref["path"])
        if m is None or m["sha256"] != ref["sha256"]:
            raise HttpError(
                400, "ModuleNotFound",
                f"Unchanged module {ref['path']} with hash {ref['sha256']} is not on the deployment; push all modules.",
            )
        modules.append({"path": ref["path"], "source": m["source"], "sourceMap": m["sourceMap"],
                        "environment": m["environment"]})
    return modules


def _schema_change() -> Dict[str, Any]:
    change: Dict[str, Any] = {"allocatedComponentIds": {}, "schemaIds": {}}
    diff = {"added_indexes": [], "removed_indexes": []}
    if config.has("prepare_schema_enabled_disabled"):
        diff.update({"enabled_indexes": [], "disabled_indexes": []})
    change["indexDiffs"] = {"": diff}
    return change


def _analysis(modules: List[Dict[str, Any]], udf_server_version: str) -> Dict[str, Any]:
    functions = {}
    analyzed_all = analysis.analyze_modules(modules)
    for m in modules:
        analyzed = analyzed_all[m["path"]]
        functions[m["path"]] = {
            "functions": [
                {
                    "name": f["name"],
                    "pos": None,
                    "udfType": f["udfType"],
                    "visibility": {"kind": f["visibility"]},
                    "args": json.dumps({"type": "any"}),
                    "returns": None,
                }
                for f in analyzed
            ],
            "httpRoutes": None,
            "cronSpecs": None,
            "sourceMapped": None,
        }
    return {
        "": {
            "definition": {
                "path": "",
                "definitionType": {"type": "app"},
                "childComponents": [],
                "httpMounts": {},
                "exports": {"type": "branch", "branch": []},
            },
            "schema": None,
            "functions": functions,
            "udfConfig": {
                "serverVersion": udf_server_version,
                "importPhaseRngSeed": None,
                "importPhaseUnixTimestamp": None,
            },
        }
    }


def _start_push_reply(body: Dict[str, Any], push_id: str, modules: List[Dict[str, Any]]) -> Dict[str, Any]:
    app = body["appDefinition"]
    env = server.BACKEND.state.read(lambda d: d["env"])
    change = _schema_change()
    change["standinPushId"] = push_id  # looseObject: the CLI echoes it in finish_push
    return {
        "environmentVariables": env,
        "externalDepsId": None,
        "componentDefinitionPackages": {},
        "appAuth": [],
        "analysis": _analysis(modules, app.get("udfServerVersion", "")),
        "app": {
            "definitionPath": "",
            "componentPath": "",
            "args": {},
            "childComponents": {},
            "httpRoutes": {"httpModuleRoutes": None, "mounts": []},
            "exports": {},
        },
        "schemaChange": change,
    }


def start_push(h) -> None:
    body = _read_push_request(h)
    modules = _modules_of(body["appDefinition"])
    push_id = uuid.uuid4().hex
    if not body.get("dryRun"):
        with _pending_lock:
            _pending[push_id] = {
                "modules": modules,
                "udfServerVersion": body["appDefinition"].get("udfServerVersion", ""),
                "config": {"functions": body.get("functions") or "convex/"},
                "schema": body["appDefinition"].get("schema"),
                "created": time.time(),
            }
    h.send_json(200, _start_push_reply(body, push_id, modules))


def evaluate_push(h) -> None:
    body = _read_push_request(h)
    _modules_of(body["appDefinition"])
    h.send_json(200, {"schemaChange": _schema_change()})


def wait_for_schema(h) -> None:
    body = h.json_body()
    _admin(h, body)
    # No indexes are built and no documents validated: done at once.
    h.send_json(200, {"type": "complete"})


def finish_push(h) -> None:
    body = h.json_body()
    _admin(h, body)
    start = body.get("startPush") or {}
    push_id = (start.get("schemaChange") or {}).get("standinPushId")
    if body.get("dryRun"):
        diff = {"added": [], "removed": []}
    else:
        with _pending_lock:
            pending = _pending.pop(push_id, None) if push_id else None
        if pending is None:
            raise HttpError(400, "PushNotFound", "finish_push without a matching start_push on this backend")
        diff = _commit(pending["modules"], pending["udfServerVersion"], pending["config"], pending["schema"])
    index_diff = {"added_indexes": [], "removed_indexes": []}
    h.send_json(
        200,
        {
            "authDiff": {"added": [], "removed": []},
            "definitionDiffs": {},
            "componentDiffs": {
                "": {
                    "diffType": {"type": "modify"},
                    "moduleDiff": diff,
                    "udfConfigDiff": None,
                    "cronDiff": {"added": [], "updated": [], "deleted": []},
                    "indexDiff": index_diff,
                    "schemaDiff": None,
                }
            },
        },
    )


def report_push_completed(h) -> None:
    body = h.json_body()
    _admin(h, body)
    h.send_json(200, None)


def register(route) -> None:
    route("POST", "/api/prepare_schema")(prepare_schema)
    route("GET", "/api/schema_state/([^/]+)")(schema_state)
    route("POST", "/api/get_config_hashes")(get_config_hashes)
    route("POST", "/api/get_config")(get_config)
    route("POST", "/api/push_config")(push_config)
    route("POST", "/api/deploy2/start_push")(start_push)
    route("POST", "/api/deploy2/evaluate_push", gate="evaluate_push")(evaluate_push)
    route("POST", "/api/deploy2/wait_for_schema")(wait_for_schema)
    route("POST", "/api/deploy2/finish_push")(finish_push)
    route("POST", "/api/deploy2/report_push_completed")(report_push_completed)
