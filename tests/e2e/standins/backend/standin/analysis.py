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
_KEEPNAME_TAIL = re.compile(r"[)}],\s*\"([\w$]+)\"\)")
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


def analyze_module(path: str, source: str) -> List[Dict[str, Any]]:
    """Functions exported by one bundled module: name, udfType, visibility,
    value (the literal the handler returns, or None)."""
    if path.startswith("_deps/") or path.startswith("_generated/"):
        return []
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


def module_name(path: str) -> str:
    """`health.js` -> `health` (udf paths drop the extension)."""
    for ext in (".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx"):
        if path.endswith(ext):
            return path[: -len(ext)]
    return path
