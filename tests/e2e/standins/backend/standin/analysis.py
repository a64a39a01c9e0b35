"""What the stand-in learns from a pushed module without running it.

Upstream evaluates every module in V8 to find its functions. The stand-in
reads the bundled ESM text instead: the names in `export { a, b as c }`, the
constructor each name is built with (`var ping = query({...})`, following
aliases such as `var query = queryGeneric`), and, when a handler is a
parameterless arrow function returning a string/number/boolean/null literal,
that literal. Anything else is recorded with value None and answered as null.
"""

import json
import re
from typing import Any, Dict, List, Optional, Tuple

_EXPORT_BLOCK = re.compile(r"export\s*\{([^}]*)\}")
_ASSIGN = re.compile(r"(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:/\*.*?\*/\s*)?([A-Za-z_$][\w$]*)\s*([(;,\n])")

# esbuild keepNames: `var ve = /* @__PURE__ */ n((...) => {...}, "queryGeneric");`
# or `function ve(...) {...}` followed by `n(ve, "queryGeneric");`.
_KEEPNAME_VAR = re.compile(r"(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*/\*\s*@__PURE__\s*\*/\s*[\w$]+\(")
_KEEPNAME_TAIL = re.compile(r"[)}]\s*,\s*\"([\w$]+)\"\);")
_KEEPNAME_CALL = re.compile(r"\b[\w$]+\(([A-Za-z_$][\w$]*),\s*\"([\w$]+)\"\)")

_KINDS = [
    ("internalQuery", "Query", "internal"),
    ("internalMutation", "Mutation", "internal"),
    ("internalAction", "Action", "internal"),
    ("httpAction", "HttpAction", None),
    ("query", "Query", "public"),
    ("mutation", "Mutation", "public"),
    ("action", "Action", "public"),
]

_LITERAL = r"(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|-?\d+(?:\.\d+)?|true|false|null)"
_HANDLER_LITERAL = re.compile(
    r"handler\s*:\s*(?:/\*.*?\*/\s*)?(?:[\w$]+\(\s*)?(?:async\s*)?\(\s*\)\s*=>\s*" + _LITERAL
)


def _exports(source: str) -> List[Tuple[str, str]]:
    out = []
    for block in _EXPORT_BLOCK.findall(source):
        for part in block.split(","):
            part = part.strip()
            if not part:
                continue
            m = re.match(r"([\w$]+)(?:\s+as\s+([\w$]+))?$", part)
            if m:
                out.append((m.group(1), m.group(2) or m.group(1)))
    return out


def _kind(name: str) -> Optional[Tuple[str, Optional[str]]]:
    base = name.rstrip("0123456789")
    base = re.sub(r"Generic$", "", base)
    for prefix, udf_type, visibility in _KINDS:
        if base == prefix:
            return udf_type, visibility
    return None


def _literal_value(text: str) -> Any:
    if text.startswith("'"):
        text = '"' + text[1:-1].replace('"', '\\"') + '"'
    try:
        return json.loads(text)
    except ValueError:
        return None


_ORIG_IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*[\"'][^\"']*_generated/server(?:\.js)?[\"']")
_ORIG_EXPORT = re.compile(r"export\s+const\s+([A-Za-z_$][\w$]*)\s*=\s*([A-Za-z_$][\w$]*)\s*\(")


def analyze_original(path: str, source_map: Optional[str]) -> List[Dict[str, Any]]:
    """The same, read from the module's original source in its source map
    (`sourcesContent` of `../convex/<module>.ts`). esbuild splits code that
    several modules share into `_deps/` chunks, and a module's bundle then
    imports its constructors from there; the original still says
    `export const ping = query({...})`."""
    if not source_map:
        return []
    try:
        doc = json.loads(source_map)
    except ValueError:
        return []
    stem = module_name(path)
    original = None
    for name, content in zip(doc.get("sources") or [], doc.get("sourcesContent") or []):
        if content and re.search(r"(?:^|/)convex/" + re.escape(stem) + r"\.(?:ts|tsx|js|jsx|mjs)$", name):
            original = content
            break
    if original is None:
        return []
    local_kind: Dict[str, str] = {}
    for block in _ORIG_IMPORT.findall(original):
        for part in block.split(","):
            m = re.match(r"\s*(?:type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?\s*$", part)
            if m:
                local_kind[m.group(2) or m.group(1)] = m.group(1)
    functions = []
    exports = list(_ORIG_EXPORT.finditer(original))
    for i, m in enumerate(exports):
        kind = _kind(local_kind.get(m.group(2), ""))
        if kind is None or kind[0] == "HttpAction":
            continue
        end = exports[i + 1].start() if i + 1 < len(exports) else len(original)
        hm = _HANDLER_LITERAL.search(original[m.end() : end])
        functions.append(
            {
                "name": m.group(1),
                "udfType": kind[0],
                "visibility": kind[1],
                "value": _literal_value(hm.group(1)) if hm else None,
            }
        )
    return functions


def analyze_module(path: str, source: str, source_map: Optional[str] = None,
                   chunks: Optional[Dict[str, Dict[str, str]]] = None) -> List[Dict[str, Any]]:
    """Functions exported by one bundled module: name, udfType, visibility,
    value (the literal the handler returns, or None). `chunks`: the labels
    of the push's `_deps/` chunks (see analyze_modules)."""
    if path.startswith("_deps/") or path.startswith("_generated/"):
        return []
    found = _analyze_bundle(path, source, chunks)
    return found or analyze_original(path, source_map)


_IMPORT_DEPS = re.compile(r"import\s*\{([^}]*)\}\s*from\s*[\"']\.{1,2}/(?:[\w.-]+/)*(_deps/[^\"']+)[\"']")


def _names(source: str) -> Tuple[Dict[str, Tuple[str, int]], Dict[str, str]]:
    """`var a = b` assignments and esbuild keepNames labels of a bundle."""
    assigns: Dict[str, Tuple[str, int]] = {}
    for m in _ASSIGN.finditer(source):
        assigns.setdefault(m.group(1), (m.group(2), m.end()))
    kept: Dict[str, str] = {}
    for m in _KEEPNAME_VAR.finditer(source):
        tail = _KEEPNAME_TAIL.search(source, m.end(), m.end() + 4000)
        if tail:
            kept.setdefault(m.group(1), tail.group(1))
    for m in _KEEPNAME_CALL.finditer(source):
        kept.setdefault(m.group(1), m.group(2))
    return assigns, kept


def _chunk_labels(source: str) -> Dict[str, str]:
    """For a shared `_deps/` chunk: exported name -> the constructor's kept
    name (e.g. `a` -> `queryGeneric`), following `var a = b` aliases."""
    assigns, kept = _names(source)
    labels = {}
    for local, exported in _exports(source):
        target, seen = local, set()
        while target and target not in seen:
            seen.add(target)
            if _kind(target) or _kind(kept.get(target, "")):
                labels[exported] = target if _kind(target) else kept[target]
                break
            target = assigns.get(target, (None, 0))[0]
    return labels


def analyze_modules(modules: List[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    """analyze_module for every module of one push. When several modules
    share code, esbuild moves it into `_deps/` chunks and each module imports
    its constructors (`import { a as Ke } from "./_deps/chunk.js"`); the
    chunks' exports are resolved first."""
    chunks = {
        m["path"]: _chunk_labels(m["source"]) for m in modules if m["path"].startswith("_deps/")
    }
    return {
        m["path"]: analyze_module(m["path"], m["source"], m.get("sourceMap"), chunks)
        for m in modules
    }


def _analyze_bundle(path: str, source: str, chunks: Optional[Dict[str, Dict[str, str]]] = None) -> List[Dict[str, Any]]:
    assigns, kept = _names(source)
    for m in _IMPORT_DEPS.finditer(source):
        labels = (chunks or {}).get(m.group(2), {})
        for part in m.group(1).split(","):
            im = re.match(r"\s*([\w$]+)(?:\s+as\s+([\w$]+))?\s*$", part)
            if im and im.group(1) in labels:
                kept.setdefault(im.group(2) or im.group(1), labels[im.group(1)])
    functions = []
    for local, exported in _exports(source):
        ctor = assigns.get(local)
        if ctor is None:
            continue
        target, pos = ctor
        kind = None
        seen = set()
        while target and target not in seen:
            seen.add(target)
            kind = _kind(target) or _kind(kept.get(target, ""))
            if kind:
                break
            target = assigns.get(target, (None, 0))[0]
        if kind is None or kind[0] == "HttpAction":
            continue
        value = None
        window = source[pos : pos + 2000]
        cut = re.search(r"\n\s*(?:var|let|const|export|function)\b|;\s*(?:var|let|const|export)\b", window)
        if cut:
            window = window[: cut.start()]
        hm = _HANDLER_LITERAL.search(window)
        if hm:
            value = _literal_value(hm.group(1))
        functions.append(
            {"name": exported, "udfType": kind[0], "visibility": kind[1], "value": value}
        )
    return functions


def has_exports(path: str, source: str) -> bool:
    if path.startswith("_deps/") or path.startswith("_generated/"):
        return False
    return bool(_exports(source))


def module_name(path: str) -> str:
    """`health.js` -> `health` (udf paths drop the extension)."""
    for ext in (".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx"):
        if path.endswith(ext):
            return path[: -len(ext)]
    return path
