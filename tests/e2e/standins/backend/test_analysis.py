"""Unit tests of standin/analysis.py on the bundle shapes the real CLIs emit
(excerpts of esbuild output seen with convex 1.24.8, 1.25.4 and 1.49.0).
Run: python3 -m unittest discover -s tests/e2e/standins/backend -p 'test_*.py'"""

import unittest

from standin import analysis

# convex 1.24.8: unminified library, plain aliases.
PLAIN = '''
var queryGeneric = /* @__PURE__ */ __name((functionDefinition) => {
  const func = exportFunction(functionDefinition);
  func.isQuery = true;
  return func;
}, "queryGeneric");
// convex/_generated/server.js
var query = queryGeneric;
// convex/health.ts
var ping = query({
  args: {},
  handler: /* @__PURE__ */ __name(async () => "ok", "handler")
});
export {
  ping
};
'''

# convex 1.25.x/1.26.x: minified library, keepNames with `}, "name");`.
MINIFIED_125 = '''
var me = /* @__PURE__ */ n((e) => {
  let t = typeof e == "function" ? e : e.handler, r = Pt("query", t);
  return r.isQuery = !0, r.invokeQuery = (o) => qt(t, o), r;
}, "queryGeneric");
var Xm = /* @__PURE__ */ n((e) => {
  return e;
}, "internalMutationGeneric");
// convex/_generated/server.js
var Ve = me;
var Wm = Xm;
// convex/health.ts
var vs = Ve({
  args: {},
  handler: /* @__PURE__ */ n(async () => "ok", "handler")
});
var other = Ve({ handler: async (ctx) => { return await ctx.db.query("t").collect(); } });
var bump = Wm({ handler: async () => 42 });
export {
  vs as ping,
  other,
  bump
};
'''

# convex 1.49.0: keepNames with `}), "name");`.
MINIFIED_149 = '''
var ve = /* @__PURE__ */ n(((e) => {
  let t = typeof e == "function" ? e : e.handler, r = zt("query", t);
  return r.isQuery = !0, r.invokeQuery = (o) => Zt(t, o, "public"), r;
}), "queryGeneric");
// convex/_generated/server.js
var Ze = ve;
// convex/health.ts
var _i = Ze({
  args: {},
  handler: /* @__PURE__ */ n(async () => "ok", "handler")
});
export {
  _i as ping
};
'''


class AnalyzeModule(unittest.TestCase):
    def test_plain_bundle(self):
        self.assertEqual(
            analysis.analyze_module("health.js", PLAIN),
            [{"name": "ping", "udfType": "Query", "visibility": "public", "value": "ok"}],
        )

    def test_minified_125(self):
        got = {f["name"]: f for f in analysis.analyze_module("health.js", MINIFIED_125)}
        self.assertEqual(got["ping"]["value"], "ok")
        self.assertEqual(got["ping"]["udfType"], "Query")
        self.assertIsNone(got["other"]["value"], "a non-literal handler must not borrow a neighbour's literal")
        self.assertEqual((got["bump"]["udfType"], got["bump"]["visibility"], got["bump"]["value"]),
                         ("Mutation", "internal", 42))

    def test_minified_149(self):
        self.assertEqual(
            analysis.analyze_module("health.js", MINIFIED_149),
            [{"name": "ping", "udfType": "Query", "visibility": "public", "value": "ok"}],
        )

    def test_deps_chunks_are_skipped(self):
        self.assertEqual(analysis.analyze_module("_deps/ABC.js", MINIFIED_149), [])

    def test_unknown_constructor_is_not_a_function(self):
        src = "var helper = makeThing({});\nexport { helper };\n"
        self.assertEqual(analysis.analyze_module("lib.js", src), [])
        self.assertTrue(analysis.has_exports("lib.js", src))


if __name__ == "__main__":
    unittest.main()
