//! The Coder template (issues 3 and 7), read back with a real HCL parser:
//! apps, env, URL locals, providers, the workspace container / pod, the
//! files the template ships, and the host labels Coder builds from the
//! names. Parts of the template's own expressions are evaluated with
//! hcl-rs (Terraform's functions used there are defined below), so the
//! URLs are checked as Terraform would compute them, not only as text.
//!
//! The checks are plain functions over the rendered `coder/` files;
//! `every_check_catches_its_mutation` feeds them deliberately broken copies
//! so none of them passes vacuously.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Block, Body, Expression, Value};
use proptest::prelude::*;
use regex::Regex;

use convex_scaffold::answers::{self, Answers, RawAnswers};

use crate::support::*;

/// Files of the template folder: path relative to `coder/` → bytes.
type Files = BTreeMap<String, Vec<u8>>;

// ---------------------------------------------------------------------------
// Rendering

fn answers_with(set: &[(&str, &str)]) -> Answers {
    try_answers_with(set).unwrap_or_else(|e| panic!("answers {set:?} are invalid: {e}"))
}

fn try_answers_with(set: &[(&str, &str)]) -> Result<Answers, String> {
    let mut given = RawAnswers::default();
    for (k, v) in set {
        given.values.insert((*k).to_owned(), (*v).to_owned());
    }
    answers::validate(&answers::with_defaults(&given, "demo")).map_err(|e| format!("{e:?}"))
}

/// The `coder/` folder as the library renders it (what `new` writes).
fn render(a: &Answers) -> Files {
    let tree = convex_scaffold::project::render(a, None).expect("renders");
    tree.files
        .iter()
        .filter_map(|(p, f)| {
            p.strip_prefix("coder/")
                .map(|rel| (rel.to_owned(), f.contents.clone()))
        })
        .collect()
}

/// Only `coder/convex.tf` and the module's `main.tf` (an empty `main.tf`),
/// for the property tests (no whole-project render).
fn render_convex_tf(a: &Answers) -> Files {
    use std::sync::OnceLock;
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    let env = ENV.get_or_init(|| convex_scaffold::render::environment().expect("environment"));
    let ctx = convex_scaffold::project::Context::new(a);
    let one = |template: &str| {
        env.get_template(template)
            .expect("template")
            .render(minijinja::value::Serde(&ctx))
            .expect("renders")
            .into_bytes()
    };
    Files::from([
        ("convex.tf".to_owned(), one("coder/convex.tf.j2")),
        ("main.tf".to_owned(), Vec::new()),
        (MODULE_TF.to_owned(), one("coder/module/main.tf.j2")),
    ])
}

fn file_text<'a>(files: &'a Files, rel: &str) -> &'a str {
    std::str::from_utf8(
        files
            .get(rel)
            .unwrap_or_else(|| panic!("coder/{rel} is missing")),
    )
    .unwrap_or_else(|_| panic!("coder/{rel} is not UTF-8"))
}

// ---------------------------------------------------------------------------
// HCL helpers

/// The Convex module's file inside the template folder.
const MODULE_TF: &str = "modules/convex/main.tf";

/// Every top-level block of the template's .tf files, the Convex module's
/// included, as one namespace: the module's `terraform` block is left out
/// (the root's counts), and a root `variable` or `data` block that the
/// module declares too is left out (the root passes its value straight
/// through: `module_call_passes_the_variables_through` checks that).
struct Tf {
    blocks: Vec<(String, Block)>,
    /// Locals defined in the module (evaluated with the module's `var`).
    module_locals: BTreeSet<String>,
    /// The root's `module "convex"` block.
    module_call: Option<Body>,
    /// Root `variable` blocks the module declares too (left out of `blocks`).
    shadowed: Vec<Block>,
}

impl Tf {
    fn parse(files: &Files) -> Tf {
        let tf_files: Vec<&String> = files.keys().filter(|p| p.ends_with(".tf")).collect();
        assert_eq!(
            tf_files,
            ["convex.tf", "main.tf", MODULE_TF],
            "the template's Terraform files"
        );
        let module = parse_file(files, MODULE_TF);
        let in_module = |b: &Block| {
            module
                .iter()
                .any(|m| m.identifier() == b.identifier() && m.labels() == b.labels())
        };
        let mut blocks = Vec::new();
        let mut module_call = None;
        let mut shadowed = Vec::new();
        for f in ["convex.tf", "main.tf"] {
            for b in parse_file(files, f) {
                if matches!(b.identifier(), "variable" | "data") && in_module(&b) {
                    if b.identifier() == "variable" {
                        shadowed.push(b);
                    }
                    continue;
                }
                if b.identifier() == "module" {
                    let name = b.labels()[0].as_str();
                    assert!(
                        ["convex", "code-server", "jetbrains"].contains(&name),
                        "module {name}"
                    );
                    if name == "convex" {
                        module_call = Some(b.body().clone());
                    }
                }
                blocks.push((f.to_owned(), b));
            }
        }
        let mut module_locals = BTreeSet::new();
        for b in module {
            if b.identifier() == "terraform" {
                continue;
            }
            if b.identifier() == "locals" {
                module_locals.extend(b.body().attributes().map(|a| a.key().to_owned()));
            }
            blocks.push((MODULE_TF.to_owned(), b));
        }
        Tf {
            blocks,
            module_locals,
            module_call,
            shadowed,
        }
    }

    fn in_file<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a Block> {
        self.blocks
            .iter()
            .filter(move |(f, _)| f == file)
            .map(|(_, b)| b)
    }

    fn all(&self) -> impl Iterator<Item = &Block> {
        self.blocks.iter().map(|(_, b)| b)
    }

    fn find_all(&self, ident: &str, labels: &[&str]) -> Vec<&Block> {
        self.all()
            .filter(|b| {
                b.identifier() == ident
                    && b.labels().len() >= labels.len()
                    && labels
                        .iter()
                        .zip(b.labels())
                        .all(|(want, got)| got.as_str() == *want)
            })
            .collect()
    }

    fn try_find(&self, ident: &str, labels: &[&str]) -> Option<&Block> {
        let found = self.find_all(ident, labels);
        assert!(found.len() <= 1, "{ident} {labels:?} is defined twice");
        found.into_iter().next()
    }

    fn find(&self, ident: &str, labels: &[&str]) -> &Block {
        self.try_find(ident, labels)
            .unwrap_or_else(|| panic!("no {ident} {labels:?} block"))
    }

    fn resource(&self, ty: &str, name: &str) -> &Body {
        self.find("resource", &[ty, name]).body()
    }

    /// Every `locals` entry of every file (Terraform forbids duplicates).
    fn locals(&self) -> BTreeMap<String, Expression> {
        let mut out = BTreeMap::new();
        for b in self.all().filter(|b| b.identifier() == "locals") {
            for a in b.body().attributes() {
                // The root and the module may each define the same local
                // the same way (owner_name, workspace_name).
                if let Some(before) = out.insert(a.key().to_owned(), a.expr().clone()) {
                    assert_eq!(&before, a.expr(), "local.{} is defined twice", a.key());
                }
            }
        }
        out
    }

    fn variable_default(&self, name: &str) -> Value {
        literal(attr(self.find("variable", &[name]).body(), "default"))
    }
}

fn parse_file(files: &Files, rel: &str) -> Vec<Block> {
    let body = hcl::parse(file_text(files, rel))
        .unwrap_or_else(|e| panic!("coder/{rel} does not parse as HCL: {e}"));
    body.blocks().cloned().collect()
}

fn try_attr<'a>(body: &'a Body, name: &str) -> Option<&'a Expression> {
    let mut found = body.attributes().filter(|a| a.key() == name);
    let first = found.next().map(|a| a.expr());
    assert!(found.next().is_none(), "attribute {name} twice");
    first
}

fn attr<'a>(body: &'a Body, name: &str) -> &'a Expression {
    try_attr(body, name).unwrap_or_else(|| panic!("no attribute {name} in {body:?}"))
}

fn sub<'a>(body: &'a Body, ident: &str) -> Vec<&'a Body> {
    body.blocks()
        .filter(|b| b.identifier() == ident)
        .map(|b| b.body())
        .collect()
}

fn one<'a>(body: &'a Body, ident: &str) -> &'a Body {
    let found = sub(body, ident);
    assert_eq!(found.len(), 1, "want exactly one {ident} block");
    found[0]
}

/// Parses an HCL expression written in a test.
fn ex(text: &str) -> Expression {
    let body = hcl::parse(&format!("x = {text}\n")).unwrap_or_else(|e| panic!("{text}: {e}"));
    body.attributes().next().unwrap().expr().clone()
}

#[track_caller]
fn assert_expr(actual: &Expression, expected: &str, what: &str) {
    assert_eq!(
        actual,
        &ex(expected),
        "{what}: is `{actual}`, want `{expected}`"
    );
}

/// The value of a constant expression (a literal), escapes resolved.
fn literal(expr: &Expression) -> Value {
    expr.evaluate(&Context::new())
        .unwrap_or_else(|e| panic!("`{expr}` is not a constant: {e}"))
}

fn key_str(key: &hcl::ObjectKey) -> String {
    match key {
        hcl::ObjectKey::Identifier(i) => i.to_string(),
        hcl::ObjectKey::Expression(e) => literal_str(e),
        other => panic!("unknown object key {other:?}"),
    }
}

fn literal_str(expr: &Expression) -> String {
    match literal(expr) {
        Value::String(s) => s,
        other => panic!("`{expr}` is {other:?}, not a string"),
    }
}

/// Calls `f` on `expr` and every expression nested in it (template
/// interpolations included).
fn walk(expr: &Expression, f: &mut dyn FnMut(&Expression)) {
    f(expr);
    match expr {
        Expression::Array(items) => items.iter().for_each(|e| walk(e, f)),
        Expression::Object(obj) => {
            for (k, v) in obj.iter() {
                if let hcl::ObjectKey::Expression(k) = k {
                    walk(k, f);
                }
                walk(v, f);
            }
        }
        Expression::TemplateExpr(t) => {
            let template = hcl::Template::from_expr(t).expect("template parses");
            walk_template(&template, f);
        }
        Expression::Traversal(t) => {
            walk(&t.expr, f);
            for op in &t.operators {
                if let hcl::expr::TraversalOperator::Index(i) = op {
                    walk(i, f);
                }
            }
        }
        Expression::FuncCall(c) => c.args.iter().for_each(|e| walk(e, f)),
        Expression::Parenthesis(e) => walk(e, f),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, f);
            walk(&c.true_expr, f);
            walk(&c.false_expr, f);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => walk(&u.expr, f),
            hcl::expr::Operation::Binary(b) => {
                walk(&b.lhs_expr, f);
                walk(&b.rhs_expr, f);
            }
        },
        Expression::ForExpr(fe) => {
            walk(&fe.collection_expr, f);
            if let Some(k) = &fe.key_expr {
                walk(k, f);
            }
            walk(&fe.value_expr, f);
            if let Some(c) = &fe.cond_expr {
                walk(c, f);
            }
        }
        _ => {}
    }
}

fn walk_template(template: &hcl::Template, f: &mut dyn FnMut(&Expression)) {
    use hcl::template::{Directive, Element};
    for el in template.elements() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&i.expr, f),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    walk(&d.cond_expr, f);
                    walk_template(&d.true_template, f);
                    if let Some(t) = &d.false_template {
                        walk_template(t, f);
                    }
                }
                Directive::For(d) => {
                    walk(&d.collection_expr, f);
                    walk_template(&d.template, f);
                }
            },
        }
    }
}

/// Calls `f(path, expr)` for every attribute of `body` and its nested
/// blocks; `path` is `ident.label….attr`.
fn each_attr(prefix: &str, body: &Body, f: &mut dyn FnMut(&str, &Expression)) {
    for a in body.attributes() {
        f(&format!("{prefix}.{}", a.key()), a.expr());
    }
    for b in body.blocks() {
        each_attr(&format!("{prefix}.{}", block_name(b)), b.body(), f);
    }
}

fn block_name(b: &Block) -> String {
    std::iter::once(b.identifier())
        .chain(b.labels().iter().map(|l| l.as_str()))
        .collect::<Vec<_>>()
        .join(".")
}

fn each_top_attr(tf: &Tf, f: &mut dyn FnMut(&str, &Expression)) {
    for b in tf.all() {
        each_attr(&block_name(b), b.body(), f);
    }
}

/// Names of the nested blocks anywhere under `body` (`ident` of each).
fn nested_block_idents(body: &Body, out: &mut BTreeSet<String>) {
    for b in body.blocks() {
        out.insert(b.identifier().to_owned());
        nested_block_idents(b.body(), out);
    }
}

// ---------------------------------------------------------------------------
// Evaluating the template's locals (Terraform's functions, as far as used)

fn s(args: &FuncArgs, i: usize) -> &str {
    args[i].as_str().expect("string argument")
}

fn f_lower(args: FuncArgs) -> Result<Value, String> {
    Ok(s(&args, 0).to_lowercase().into())
}

/// Terraform's replace(): a substring, or a regex when written `/…/`.
fn f_replace(args: FuncArgs) -> Result<Value, String> {
    let (text, pat, with) = (s(&args, 0), s(&args, 1), s(&args, 2));
    if pat.len() >= 2 && pat.starts_with('/') && pat.ends_with('/') {
        let re = Regex::new(&pat[1..pat.len() - 1]).map_err(|e| e.to_string())?;
        Ok(re.replace_all(text, with).into_owned().into())
    } else {
        Ok(text.replace(pat, with).into())
    }
}

fn f_split(args: FuncArgs) -> Result<Value, String> {
    let parts: Vec<Value> = s(&args, 1)
        .split(s(&args, 0))
        .map(|p| Value::from(p.to_owned()))
        .collect();
    Ok(Value::Array(parts))
}

fn f_length(args: FuncArgs) -> Result<Value, String> {
    Ok(match &args[0] {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        other => return Err(format!("length of {other:?}")),
    }
    .into())
}

fn f_contains(args: FuncArgs) -> Result<Value, String> {
    let list = args[0].as_array().ok_or("contains needs a list")?;
    Ok(list.contains(&args[1]).into())
}

fn f_regexall(args: FuncArgs) -> Result<Value, String> {
    let re = Regex::new(s(&args, 0)).map_err(|e| e.to_string())?;
    Ok(Value::Array(
        re.find_iter(s(&args, 1))
            .map(|m| Value::from(m.as_str().to_owned()))
            .collect(),
    ))
}

fn f_merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = hcl::Map::new();
    for a in args.iter() {
        for (k, v) in a.as_object().ok_or("merge needs objects")? {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// The workspace the template is evaluated for.
#[derive(Debug, Clone)]
struct World {
    workspace: String,
    owner: String,
    access_url: String,
    access_port: u16,
    /// Overrides `var.wildcard_domain` (None: the variable's default).
    wildcard: Option<String>,
    git_url: String,
}

impl World {
    fn new(workspace: &str, owner: &str) -> World {
        World {
            workspace: workspace.into(),
            owner: owner.into(),
            access_url: "https://coder.example.com".into(),
            access_port: 443,
            wildcard: None,
            git_url: String::new(),
        }
    }
}

fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// `local.<name>` for `wanted` (and what they depend on), as Terraform
/// would compute them for `world`.
fn eval_locals(tf: &Tf, world: &World, wanted: &[&str]) -> BTreeMap<String, Value> {
    let locals = tf.locals();
    // The dependency closure of `wanted`.
    let mut todo: Vec<String> = wanted.iter().map(|s| (*s).to_owned()).collect();
    let mut needed = BTreeSet::new();
    while let Some(name) = todo.pop() {
        let expr = locals
            .get(&name)
            .unwrap_or_else(|| panic!("no local.{name}"));
        let in_module = tf.module_locals.contains(&name);
        if !needed.insert(name) {
            continue;
        }
        let mut exprs = vec![expr];
        // A module local reads var.*: what the root's module call passes.
        if let (true, Some(call)) = (in_module, &tf.module_call) {
            exprs.extend(call.attributes().map(|a| a.expr()));
        }
        for expr in exprs {
            walk(expr, &mut |e| {
                if let Expression::Traversal(t) = e {
                    if let (
                        Expression::Variable(v),
                        Some(hcl::expr::TraversalOperator::GetAttr(a)),
                    ) = (&t.expr, t.operators.first())
                    {
                        if v.as_str() == "local"
                            && !["agent_id", "agent_token", "agent_init_script"]
                                .contains(&a.as_str())
                        {
                            todo.push(a.to_string());
                        }
                    }
                }
            });
        }
    }
    let mut vars: Vec<(&str, Value)> = Vec::new();
    let var_names: Vec<String> = tf
        .all()
        .filter(|b| b.identifier() == "variable")
        .map(|b| b.labels()[0].as_str().to_owned())
        .collect();
    let mut var_values: Vec<(String, Value)> = Vec::new();
    for name in &var_names {
        let body = tf.find("variable", &[name]).body();
        if let Some(d) = try_attr(body, "default") {
            var_values.push((name.clone(), literal(d)));
        }
    }
    if let Some(w) = &world.wildcard {
        var_values.retain(|(n, _)| n != "wildcard_domain");
        var_values.push(("wildcard_domain".into(), w.clone().into()));
    }
    let root_var = Value::Object(var_values.into_iter().collect());
    vars.push(("var", root_var.clone()));
    let me = |entries: &[(&str, Value)]| obj(&[("me", obj(entries))]);
    vars.push((
        "data",
        obj(&[
            (
                "coder_workspace",
                me(&[
                    ("name", world.workspace.clone().into()),
                    ("id", "ws-id".into()),
                    ("access_url", world.access_url.clone().into()),
                    ("access_port", u64::from(world.access_port).into()),
                    ("start_count", 1u64.into()),
                ]),
            ),
            (
                "coder_workspace_owner",
                me(&[
                    ("name", world.owner.clone().into()),
                    ("id", "owner-id".into()),
                    ("email", "o@example.com".into()),
                ]),
            ),
            (
                "coder_parameter",
                obj(&[
                    ("git_url", obj(&[("value", world.git_url.clone().into())])),
                    ("start_frontend", obj(&[("value", "false".into())])),
                ]),
            ),
        ]),
    ));

    let mut done: BTreeMap<String, Value> = BTreeMap::new();
    let mut errors = BTreeMap::new();
    loop {
        let mut ctx = Context::new();
        for (name, value) in &vars {
            ctx.declare_var(*name, value.clone());
        }
        ctx.declare_var(
            "local",
            Value::Object(done.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        );
        let str1 = || FuncDef::builder().param(ParamType::String);
        ctx.declare_func("lower", str1().build(f_lower));
        ctx.declare_func(
            "replace",
            str1()
                .param(ParamType::String)
                .param(ParamType::String)
                .build(f_replace),
        );
        ctx.declare_func("split", str1().param(ParamType::String).build(f_split));
        ctx.declare_func(
            "length",
            FuncDef::builder().param(ParamType::Any).build(f_length),
        );
        ctx.declare_func(
            "contains",
            FuncDef::builder()
                .param(ParamType::Any)
                .param(ParamType::Any)
                .build(f_contains),
        );
        ctx.declare_func(
            "regexall",
            str1().param(ParamType::String).build(f_regexall),
        );
        ctx.declare_func(
            "tostring",
            str1().build(|args: FuncArgs| Ok(args[0].clone())),
        );
        ctx.declare_func(
            "merge",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(f_merge),
        );
        // The module's `var`: its defaults (above), then what the root's
        // module call passes, evaluated in the root (arguments that need a
        // resource, like agent_id, stay out: no local reads them).
        let mut module_ctx = ctx.clone();
        if let (Some(call), Value::Object(defaults)) = (&tf.module_call, &root_var) {
            let mut module_var = defaults.clone();
            for a in call.attributes() {
                if let Ok(v) = a.expr().evaluate(&ctx) {
                    module_var.insert(a.key().to_owned(), v);
                }
            }
            module_ctx.declare_var("var", Value::Object(module_var));
        }
        let mut progress = false;
        for name in &needed {
            if done.contains_key(name) {
                continue;
            }
            let ctx = if tf.module_locals.contains(name) {
                &module_ctx
            } else {
                &ctx
            };
            match locals[name].evaluate(ctx) {
                Ok(v) => {
                    done.insert(name.clone(), v);
                    progress = true;
                }
                Err(e) => {
                    errors.insert(name.clone(), e.to_string());
                }
            }
        }
        if !progress {
            break;
        }
    }
    for name in &needed {
        assert!(
            done.contains_key(name),
            "local.{name} cannot be evaluated: {}",
            errors[name]
        );
    }
    done
}

fn as_str_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
        .collect()
}

/// Terraform iterates maps in key order, hcl-rs in insertion order.
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn as_str_list(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// Coder's rules, mirrored in Rust

/// Coder's `appurl` regex (coderd/workspaceapps/appurl/appurl.go).
fn coder_appurl_regex() -> Regex {
    let n = "[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*";
    Regex::new(&format!(
        "^(?P<AppSlug>{n})(?:--(?P<AgentName>{n}))?--(?P<WorkspaceName>{n})--(?P<Username>{n})$"
    ))
    .unwrap()
}

/// Coder's `CompileHostnamePattern` + `ExecuteHostnamePattern` +
/// `ParseSubdomainAppURL` (prefix split on `---`): the parts Coder reads
/// from an app host, or None when it does not recognise it.
fn coder_parse_app_host(wildcard: &str, host: &str) -> Option<[String; 4]> {
    let mut pattern = wildcard.to_lowercase();
    if let Some((h, port)) = pattern.rsplit_once(':') {
        if port.chars().all(|c| c.is_ascii_digit()) {
            pattern = h.to_owned();
        }
    }
    let label_ok = Regex::new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
    for (i, label) in pattern.split('.').enumerate() {
        let label = if i == 0 {
            format!("a{}", label.strip_prefix('*')?)
        } else {
            label.to_owned()
        };
        if !label_ok.is_match(&label) {
            return None;
        }
    }
    let re = format!(
        r"^\s*{}\.?(:\d+)?\s*$",
        pattern.replace('.', r"\.").replacen('*', "([^.]+)", 1)
    );
    let sub = Regex::new(&re).unwrap().captures(host)?[1].to_owned();
    let sub = sub.rsplit("---").next().unwrap().to_owned();
    let c = coder_appurl_regex().captures(&sub)?;
    let get = |n: &str| c.name(n).map_or("", |m| m.as_str()).to_owned();
    Some([
        get("AppSlug"),
        get("AgentName"),
        get("WorkspaceName"),
        get("Username"),
    ])
}

/// The template's host labels, mirrored: `<slug>--<agent>--<workspace>--<owner>`
/// put in place of the '*', lowercased, up to the first dot.
fn mirror_label(wildcard: &str, slug: &str, agent: &str, ws: &str, owner: &str) -> String {
    let host = wildcard
        .replace(
            '*',
            &format!(
                "{slug}--{agent}--{}--{}",
                ws.to_lowercase(),
                owner.to_lowercase()
            ),
        )
        .to_lowercase();
    host.split('.').next().unwrap().to_owned()
}

/// The template's `too_long_app_host_labels`, mirrored.
fn mirror_too_long(
    labels: &BTreeMap<String, String>,
    public: bool,
    frontend_port: &str,
) -> Vec<String> {
    labels
        .iter()
        .filter(|(key, label)| {
            public && label.len() > 63 && (key.as_str() != "frontend" || !frontend_port.is_empty())
        })
        .map(|(_, label)| label.clone())
        .collect()
}

/// The template expressions the two functions above mirror, verbatim.
const MIRRORED: &[(&str, &str)] = &[
    (
        "app_hosts",
        r#"{
    for key, slug in local.app_slugs :
    key => lower(replace(var.wildcard_domain, "*", "${slug}--${var.agent_name}--${local.workspace_name}--${local.owner_name}"))
  }"#,
    ),
    (
        "app_host_labels",
        r#"{ for key, host in local.app_hosts : key => split(".", host)[0] }"#,
    ),
    (
        "too_long_app_host_labels",
        r#"[
    for key, label in local.app_host_labels : label
    if local.public_urls && length(label) > 63 && (key != "frontend" || local.frontend_port != "")
  ]"#,
    ),
    ("public_urls", r#"var.wildcard_domain != """#),
    ("owner_name", "lower(data.coder_workspace_owner.me.name)"),
    ("workspace_name", "lower(data.coder_workspace.me.name)"),
];

const APP_SLUGS: &[(&str, &str)] = &[
    ("api", "convex-api"),
    ("dashboard", "convex-dashboard"),
    ("frontend", "frontend"),
    ("site", "convex-site"),
];

/// Terraform's `~>` / comparison constraints as a semver requirement.
fn tf_constraint(text: &str) -> semver::VersionReq {
    let parts: Vec<String> = text
        .split(',')
        .map(|p| {
            let p = p.trim();
            match p.strip_prefix("~>") {
                Some(v) => {
                    let v = v.trim();
                    let nums: Vec<u64> = v.split('.').map(|n| n.parse().unwrap()).collect();
                    match nums.as_slice() {
                        [major, minor] => format!(">={major}.{minor}.0, <{}.0.0", major + 1),
                        [major, minor, patch] => {
                            format!(">={major}.{minor}.{patch}, <{major}.{}.0", minor + 1)
                        }
                        _ => panic!("odd constraint {text}"),
                    }
                }
                // A bare version is exact in Terraform (a caret in semver).
                None if p.starts_with(|c: char| c.is_ascii_digit()) => format!("={p}"),
                None => p.to_owned(),
            }
        })
        .collect();
    semver::VersionReq::parse(&parts.join(", "))
        .unwrap_or_else(|e| panic!("constraint {text:?}: {e}"))
}

fn v(text: &str) -> semver::Version {
    semver::Version::parse(text).unwrap()
}

// ---------------------------------------------------------------------------
// The checks

/// Provider `name` of `terraform.required_providers`: (source, version).
fn required_providers(tf: &Tf) -> BTreeMap<String, (String, Option<String>)> {
    let terraform = tf.find("terraform", &[]);
    let rp = one(terraform.body(), "required_providers");
    rp.attributes()
        .map(|a| {
            let Expression::Object(o) = a.expr() else {
                panic!("required_providers.{} is not an object", a.key())
            };
            let field = |name: &str| {
                o.iter()
                    .find(|(k, _)| key_str(k) == name)
                    .map(|(_, v)| literal_str(v))
            };
            (
                a.key().to_owned(),
                (field("source").expect("source"), field("version")),
            )
        })
        .collect()
}

/// Shared part (convex.tf) and the parts of main.tf both flavours have.
fn check_shared(files: &Files, a: &Answers) {
    let tf = Tf::parse(files);

    // Variable defaults and the answers they come from, read back exactly.
    assert_eq!(
        tf.variable_default("wildcard_domain"),
        Value::from(a.wildcard_domain.clone())
    );
    assert_eq!(
        tf.variable_default("convex_app_share"),
        Value::from(a.convex_app_share.as_str())
    );
    assert_eq!(
        tf.variable_default("docker_runtime"),
        Value::from(a.docker_runtime.as_str())
    );
    assert_eq!(
        tf.variable_default("workspace_image"),
        Value::from(a.workspace_image.clone())
    );
    // The root's variables that the module declares too are passed
    // straight through, with the same default (the module validates them).
    let call = tf.module_call.as_ref().expect("the module call");
    let passed: BTreeSet<String> = tf
        .shadowed
        .iter()
        .map(|b| {
            let name = b.labels()[0].as_str();
            assert_expr(attr(call, name), &format!("var.{name}"), "module argument");
            assert_eq!(
                literal(attr(b.body(), "default")),
                tf.variable_default(name),
                "root and module default of {name}"
            );
            name.to_owned()
        })
        .collect();
    assert_eq!(
        passed,
        ["convex_app_share", "docker_runtime", "wildcard_domain"]
            .map(String::from)
            .into()
    );
    for (name, value) in [
        ("agent_id", "local.agent_id"),
        ("agent_name", "local.agent_name"),
        ("project_dir", "local.project_dir"),
        ("git_url", "data.coder_parameter.git_url.value"),
        ("log_dir", "local.log_dir"),
    ] {
        assert_expr(attr(call, name), value, "module argument");
    }
    assert_eq!(
        try_attr(call, "start_frontend").map(|e| e.to_string()),
        a.frontend
            .url_var()
            .map(|_| "data.coder_parameter.start_frontend.value".to_owned())
    );
    // code-server and JetBrains from Coder's registry, pinned, unless
    // ide_modules = false; then apps in a stable order: IDEs, then Convex.
    let modules: BTreeSet<String> = tf
        .find_all("module", &[])
        .iter()
        .map(|b| b.labels()[0].as_str().to_owned())
        .collect();
    if a.ide_modules {
        assert_eq!(
            modules,
            ["code-server", "convex", "jetbrains"]
                .map(String::from)
                .into()
        );
        for (name, source, version, order_attr, order) in [
            (
                "code-server",
                "registry.coder.com/coder/code-server/coder",
                "1.5.2",
                "order",
                "1",
            ),
            (
                "jetbrains",
                "registry.coder.com/coder/jetbrains/coder",
                "1.4.0",
                "coder_app_order",
                "2",
            ),
        ] {
            let m = tf.find("module", &[name]).body();
            assert_eq!(literal_str(attr(m, "source")), source, "{name} source");
            assert_eq!(
                literal_str(attr(m, "version")),
                version,
                "{name} pinned version"
            );
            assert_expr(
                attr(m, "count"),
                "data.coder_workspace.me.start_count",
                name,
            );
            assert_expr(attr(m, "agent_id"), "local.agent_id", name);
            assert_expr(attr(m, "folder"), "local.project_dir", name);
            assert_expr(attr(m, order_attr), order, name);
        }
        assert_expr(
            attr(tf.find("module", &["jetbrains"]).body(), "agent_name"),
            "local.agent_name",
            "jetbrains agent_name",
        );
    } else {
        assert_eq!(modules, ["convex"].map(String::from).into());
    }
    assert_expr(attr(call, "order"), "3", "the Convex apps' first order");
    let git = tf.find("data", &["coder_parameter", "git_url"]).body();
    assert_eq!(
        literal(attr(git, "default")),
        Value::from(a.git_url.clone())
    );
    let locals = tf.locals();
    assert_eq!(literal_str(&locals["agent_name"]), a.agent_name);
    assert_eq!(literal_str(&locals["project_name"]), a.name);
    assert_eq!(
        literal_str(&locals["frontend_url_var"]),
        a.frontend.url_var().unwrap_or("")
    );
    // The variables' validations accept their own defaults.
    let share_ok = attr(
        one(
            tf.find("variable", &["convex_app_share"]).body(),
            "validation",
        ),
        "condition",
    );
    assert_expr(
        share_ok,
        r#"contains(["owner", "authenticated", "public"], var.convex_app_share)"#,
        "convex_app_share validation",
    );
    let runtime_ok = attr(
        one(
            tf.find("variable", &["docker_runtime"]).body(),
            "validation",
        ),
        "condition",
    );
    assert_expr(
        runtime_ok,
        r#"contains(["privileged", "sysbox"], var.docker_runtime)"#,
        "docker_runtime validation",
    );
    let wildcard_re = wildcard_validation_regex(&tf);
    // It refuses what the answer refuses (the property test tries more).
    for w in [
        "*.x.example.com:8080",
        "*.X.example.com",
        "https://*.x.example.com",
        "*.x.example.com/",
        "x.example.com",
        "*.*.example.com",
    ] {
        assert!(answers::validate_wildcard_domain(w).is_err(), "{w}");
        assert!(!wildcard_re.is_match(w), "the template accepts {w:?}");
    }
    assert!(
        a.wildcard_domain.is_empty() || wildcard_re.is_match(&a.wildcard_domain),
        "the template's own validation refuses its default wildcard_domain {:?}",
        a.wildcard_domain
    );

    // Apps.
    let apps = [
        (
            "convex_api",
            "api",
            "http://localhost:3210",
            "http://localhost:3210/version",
            "var.convex_app_share",
        ),
        (
            "convex_site",
            "site",
            "http://localhost:3211",
            "http://localhost:3211/",
            "var.convex_app_share",
        ),
        (
            "convex_dashboard",
            "dashboard",
            "http://localhost:6791",
            "http://localhost:6791/",
            r#""owner""#,
        ),
    ];
    for (name, key, url, health, share) in apps {
        let app = tf.resource("coder_app", name);
        assert_expr(attr(app, "slug"), &format!("local.app_slugs.{key}"), name);
        assert_expr(attr(app, "subdomain"), "true", name);
        assert_eq!(literal_str(attr(app, "url")), url, "{name} url");
        assert_expr(attr(app, "share"), share, name);
        assert_expr(attr(app, "agent_id"), "var.agent_id", name);
        assert_expr(attr(app, "group"), "var.group", name);
        assert!(try_attr(app, "tooltip").is_some(), "{name} tooltip");
        let hc = one(app, "healthcheck");
        assert_eq!(literal_str(attr(hc, "url")), health, "{name} healthcheck");
        for field in ["interval", "threshold"] {
            assert!(
                literal(attr(hc, field)).as_u64().is_some_and(|n| n > 0),
                "{name} {field}"
            );
        }
    }
    let slugs = as_str_map(&literal(&locals["app_slugs"]));
    let slug_re = Regex::new("^[a-z0-9](-?[a-z0-9])*$").unwrap();
    assert_eq!(
        slugs,
        APP_SLUGS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    );
    assert!(
        slugs.values().all(|s| slug_re.is_match(s)),
        "provider slug rule"
    );
    assert_expr(
        &locals["agent_id"],
        &format!("coder_agent.{}.id", a.agent_name),
        "agent_id",
    );
    assert_eq!(tf.find_all("resource", &["coder_agent"]).len(), 1);
    tf.find("resource", &["coder_agent", a.agent_name.as_str()]);
    let frontend_app = tf.resource("coder_app", "frontend");
    assert_expr(
        attr(frontend_app, "count"),
        r#"local.frontend_port != "" ? 1 : 0"#,
        "frontend app count",
    );

    // Env: one coder_env per entry of local.workspace_env.
    let env = tf.resource("coder_env", "workspace");
    assert_expr(
        attr(env, "for_each"),
        "local.workspace_env",
        "coder_env for_each",
    );
    assert_expr(attr(env, "name"), "each.key", "coder_env name");
    assert_expr(attr(env, "value"), "each.value", "coder_env value");
    assert_eq!(tf.find_all("resource", &["coder_env"]).len(), 1);

    // The URLs, as Terraform computes them.
    let mut want_keys: BTreeSet<&str> = [
        "CONVEX_PROJECT_DIR",
        "CONVEX_GIT_URL",
        "CONVEX_SCAFFOLD_LOG_DIR",
        "CONVEX_DOCKER_RUNTIME",
        "CONVEX_CODER_WORKSPACE",
        "CONVEX_APP_PORTS",
        "CONVEX_SELF_HOSTED_URL",
        "CONVEX_CLOUD_ORIGIN",
        "CONVEX_SITE_ORIGIN",
        "NEXT_PUBLIC_DEPLOYMENT_URL",
        "CONVEX_DASHBOARD_URL",
    ]
    .into();
    if let Some(var) = a.frontend.url_var() {
        want_keys.insert(var);
        want_keys.insert("CONVEX_FRONTEND_PORT");
        want_keys.insert("CONVEX_START_FRONTEND");
        if !a.wildcard_domain.is_empty() {
            want_keys.insert("CONVEX_SCAFFOLD_FRONTEND_HOST");
            want_keys.insert("CONVEX_SCAFFOLD_FRONTEND_CLIENT_PORT");
        }
    }
    let world = World::new("Dev-WS", "Alice");
    let got = eval_locals(&tf, &world, &["workspace_env", "too_long_app_host_labels"]);
    let env_values = as_str_map(&got["workspace_env"]);
    assert_eq!(
        env_values
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        want_keys
    );
    let url = |slug: &str, fallback: &str| {
        if a.wildcard_domain.is_empty() {
            fallback.to_owned()
        } else {
            let host = a
                .wildcard_domain
                .replace('*', &format!("{slug}--{}--dev-ws--alice", a.agent_name));
            let parts =
                coder_parse_app_host(&a.wildcard_domain, &host).expect("Coder parses the host");
            assert_eq!(
                parts,
                [
                    slug.to_owned(),
                    a.agent_name.clone(),
                    "dev-ws".into(),
                    "alice".into()
                ]
            );
            format!("https://{host}")
        }
    };
    let api = url("convex-api", "http://127.0.0.1:3210");
    // The CLI and the scripts run inside the workspace: the local port, never
    // Coder's proxy (a login redirect for owner/authenticated shares).
    assert_eq!(
        env_values["CONVEX_SELF_HOSTED_URL"],
        "http://127.0.0.1:3210"
    );
    assert_eq!(
        env_values["CONVEX_APP_PORTS"],
        "PORT=3210 SITE_PROXY_PORT=3211 DASHBOARD_PORT=6791"
    );
    assert_eq!(env_values["CONVEX_CODER_WORKSPACE"], "Alice/Dev-WS");
    for key in ["CONVEX_CLOUD_ORIGIN", "NEXT_PUBLIC_DEPLOYMENT_URL"] {
        assert_eq!(env_values[key], api, "{key}");
    }
    if let Some(var) = a.frontend.url_var() {
        assert_eq!(env_values[var], api, "{var}");
        assert_eq!(
            env_values["CONVEX_FRONTEND_PORT"],
            a.frontend.dev_port().unwrap().to_string()
        );
        assert_eq!(env_values["CONVEX_START_FRONTEND"], "false");
        if !a.wildcard_domain.is_empty() {
            // What vite.config.ts / next.config.ts allow, and where Vite's
            // HMR websocket connects: the Frontend app's host on the
            // access URL's port (https://coder.example.com: 443).
            let frontend = url("frontend", "");
            let host = frontend.strip_prefix("https://").unwrap();
            let (host, port) = match host.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.to_owned()),
                None => (host.to_owned(), "443".to_owned()),
            };
            assert_eq!(env_values["CONVEX_SCAFFOLD_FRONTEND_HOST"], host);
            assert_eq!(env_values["CONVEX_SCAFFOLD_FRONTEND_CLIENT_PORT"], port);
        }
    }
    assert_eq!(
        env_values["CONVEX_SITE_ORIGIN"],
        url("convex-site", "http://127.0.0.1:3211")
    );
    assert_eq!(
        env_values["CONVEX_DASHBOARD_URL"],
        url("convex-dashboard", "http://127.0.0.1:6791")
    );
    assert_eq!(
        env_values["CONVEX_DOCKER_RUNTIME"],
        a.docker_runtime.as_str()
    );
    assert_eq!(
        env_values["CONVEX_PROJECT_DIR"],
        format!("/home/coder/{}", a.name)
    );
    let labels: BTreeMap<String, String> = APP_SLUGS
        .iter()
        .map(|(k, slug)| {
            (
                (*k).to_owned(),
                mirror_label(&a.wildcard_domain, slug, &a.agent_name, "Dev-WS", "Alice"),
            )
        })
        .collect();
    let frontend_port = a
        .frontend
        .dev_port()
        .map(|p| p.to_string())
        .unwrap_or_default();
    assert_eq!(
        sorted(as_str_list(&got["too_long_app_host_labels"])),
        sorted(mirror_too_long(
            &labels,
            !a.wildcard_domain.is_empty(),
            &frontend_port
        ))
    );
    // The access URL's port is kept when the wildcard has none.
    if !a.wildcard_domain.is_empty() {
        let mut w = world.clone();
        w.access_url = "http://coder.example.com:7080".into();
        w.access_port = 7080;
        let got = eval_locals(&tf, &w, &["convex_api_url"]);
        let host = a
            .wildcard_domain
            .replace('*', &format!("convex-api--{}--dev-ws--alice", a.agent_name));
        assert_eq!(
            got["convex_api_url"].as_str().unwrap(),
            format!("http://{host}:7080")
        );
    }

    // The rule the property test mirrors is the template's, verbatim.
    for (name, text) in MIRRORED {
        assert_expr(&locals[*name], text, &format!("local.{name}"));
    }

    // Start/stop work runs in coder_scripts, not in a long startup_script.
    let agent = tf.resource("coder_agent", &a.agent_name);
    let startup = literal_str(attr(agent, "startup_script"));
    assert!(
        startup.lines().count() <= 8 && !startup.contains("docker") && !startup.contains("convex"),
        "startup_script: {startup}"
    );
    assert!(try_attr(agent, "shutdown_script").is_none());
    // The owner's Git identity, as Coder's official templates set it.
    assert_expr(
        attr(agent, "env"),
        r#"{
            GIT_AUTHOR_NAME     = coalesce(data.coder_workspace_owner.me.full_name, data.coder_workspace_owner.me.name)
            GIT_AUTHOR_EMAIL    = data.coder_workspace_owner.me.email
            GIT_COMMITTER_NAME  = coalesce(data.coder_workspace_owner.me.full_name, data.coder_workspace_owner.me.name)
            GIT_COMMITTER_EMAIL = data.coder_workspace_owner.me.email
        }"#,
        "the agent's Git identity",
    );
    let scripts = [
        ("dockerd", "run_on_start", "local.scripts.dockerd"),
        ("convex_start", "run_on_start", "local.scripts.convex_start"),
        ("convex_stop", "run_on_stop", "local.scripts.convex_stop"),
    ];
    assert_eq!(
        tf.module_call
            .as_ref()
            .map(|c| attr(c, "source").to_string()),
        Some(r#""./modules/convex""#.to_owned()),
        "the template calls the local Convex module"
    );
    assert_expr(
        &locals["scripts"],
        r#"{
            dockerd      = file("${path.module}/scripts/dockerd-start.sh")
            convex_start = local.convex_start_script
            convex_stop  = file("${path.module}/scripts/convex-stop.sh")
        }"#,
        "local.scripts",
    );
    for (name, when, script) in scripts {
        let body = tf.resource("coder_script", name);
        assert_expr(attr(body, when), "true", name);
        let other = if when == "run_on_start" {
            "run_on_stop"
        } else {
            "run_on_start"
        };
        assert!(
            try_attr(body, other).is_none_or(|e| *e == ex("false")),
            "{name} {other}"
        );
        assert_expr(attr(body, "script"), script, name);
        assert_expr(attr(body, "agent_id"), "var.agent_id", name);
        assert!(
            literal(attr(body, "timeout"))
                .as_u64()
                .is_some_and(|t| t > 0),
            "{name} timeout"
        );
    }
    assert_eq!(tf.find_all("resource", &["coder_script"]).len(), 3);
    assert!(
        locals["convex_start_script"]
            .to_string()
            .contains(r#"file("${path.module}/scripts/convex-start.sh")"#),
        "convex_start_script runs scripts/convex-start.sh"
    );

    // Nothing removed or deprecated in provider v2.
    let removed: &[(&str, &[&str])] = &[
        (
            "coder_agent",
            &[
                "dir",
                "login_before_ready",
                "startup_script_timeout",
                "shutdown_script_timeout",
            ],
        ),
        ("coder_app", &["name", "relative_path", "command"]),
    ];
    for (ty, attrs) in removed {
        for b in tf.find_all("resource", &[ty]) {
            for attr_name in *attrs {
                assert!(
                    try_attr(b.body(), attr_name).is_none(),
                    "{} sets removed/deprecated {attr_name}",
                    block_name(b)
                );
            }
        }
    }
    each_top_attr(&tf, &mut |path, e| {
        let text = e.to_string();
        assert!(
            !text.contains("coder_workspace.me.owner"),
            "{path} uses coder_workspace.me.owner* (removed in provider v2)"
        );
    });

    // The module's start script refuses too-long host labels at plan time.
    let (ty, name) = workspace_resource(files);
    let ws = tf.resource(ty, name);
    assert_expr(
        attr(ws, "count"),
        "data.coder_workspace.me.start_count",
        "workspace count",
    );
    let start = tf.resource("coder_script", "convex_start");
    let pres = sub(one(start, "lifecycle"), "precondition");
    let pre = pres
        .iter()
        .find(|p| *attr(p, "condition") == ex("length(local.too_long_app_host_labels) == 0"))
        .expect("a precondition on too_long_app_host_labels");
    assert!(
        attr(pre, "error_message").to_string().contains("63"),
        "the precondition names the 63-character limit"
    );

    // coder/coder provider with a v2 constraint.
    let providers = required_providers(&tf);
    let (source, version) = &providers["coder"];
    assert_eq!(source, "coder/coder");
    let req = tf_constraint(version.as_deref().expect("coder provider version"));
    assert!(
        req.matches(&v("2.15.0")) && req.matches(&v("2.17.0")),
        "coder {req}"
    );
    assert!(
        !req.matches(&v("1.9.0")) && !req.matches(&v("3.0.0")),
        "coder {req}"
    );
}

/// The regex of `variable "wildcard_domain"`'s validation.
fn wildcard_validation_regex(tf: &Tf) -> Regex {
    let validation = one(
        tf.find("variable", &["wildcard_domain"]).body(),
        "validation",
    );
    let mut found = Vec::new();
    walk(attr(validation, "condition"), &mut |e| {
        if let Expression::FuncCall(c) = e {
            if c.name.name.as_str() == "regex" {
                found.push(literal_str(&c.args[0]));
            }
        }
    });
    assert_eq!(
        found.len(),
        1,
        "one regex() in the wildcard_domain validation"
    );
    Regex::new(&found[0]).unwrap()
}

fn workspace_resource(files: &Files) -> (&'static str, &'static str) {
    if file_text(files, "main.tf").contains("kubernetes_deployment_v1") {
        ("kubernetes_deployment_v1", "workspace")
    } else {
        ("docker_container", "workspace")
    }
}

/// Paths where a string mentioning `needle` appears.
fn mentions(tf: &Tf, needle: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    each_top_attr(tf, &mut |path, e| {
        if e.to_string().contains(needle) {
            out.insert(path.to_owned());
        }
    });
    for b in tf.all() {
        let mut idents = BTreeSet::new();
        nested_block_idents(b.body(), &mut idents);
        if idents.iter().any(|i| i.contains(needle)) {
            out.insert(block_name(b));
        }
    }
    out
}

fn check_docker(files: &Files, _a: &Answers) {
    let tf = Tf::parse(files);
    let providers = required_providers(&tf);
    assert_eq!(providers.keys().collect::<Vec<_>>(), ["coder", "docker"]);
    let (source, version) = &providers["docker"];
    assert_eq!(source, "kreuzwerker/docker");
    let req = tf_constraint(version.as_deref().expect("docker provider version"));
    assert!(req.matches(&v("4.5.0")), "kreuzwerker/docker {req}");
    tf.find("provider", &["docker"]);
    assert!(tf.try_find("provider", &["kubernetes"]).is_none());

    // The provisioner's Docker socket is checked at plan time.
    let locals = tf.locals();
    assert_expr(
        &locals["docker_socket_path"],
        r#"var.docker_host == "" ? "/var/run/docker.sock" : (startswith(var.docker_host, "unix://") ? trimprefix(var.docker_host, "unix://") : "")"#,
        "docker_socket_path",
    );
    assert_expr(
        &locals["docker_socket_absent"],
        r#"local.docker_socket_path != "" && !try(fileexists(local.docker_socket_path), true)"#,
        "docker_socket_absent",
    );
    let home = tf.resource("docker_volume", "home");
    let pre = one(one(home, "lifecycle"), "precondition");
    assert_expr(
        attr(pre, "condition"),
        "!local.docker_socket_absent",
        "the home volume's precondition",
    );
    assert!(attr(pre, "error_message")
        .to_string()
        .contains("docker_host"));
    let container = tf.resource("docker_container", "workspace");
    // Docker inside: privileged, or sysbox-runc, chosen by var.docker_runtime.
    assert_expr(
        attr(container, "privileged"),
        r#"var.docker_runtime == "privileged""#,
        "privileged",
    );
    assert_expr(
        attr(container, "runtime"),
        r#"var.docker_runtime == "sysbox" ? "sysbox-runc" : null"#,
        "runtime",
    );
    assert_expr(attr(container, "image"), "var.workspace_image", "image");
    // Home and /var/lib/docker on two separate named volumes.
    assert_eq!(literal_str(&locals["home_dir"]), "/home/coder");
    let mounts: BTreeMap<String, String> = sub(container, "volumes")
        .into_iter()
        .map(|vol| {
            assert!(
                try_attr(vol, "host_path").is_none(),
                "a host path is mounted"
            );
            let path = match attr(vol, "container_path") {
                e if *e == ex("local.home_dir") => "/home/coder".to_owned(),
                e => literal_str(e),
            };
            (path, attr(vol, "volume_name").to_string())
        })
        .collect();
    assert_eq!(
        mounts,
        BTreeMap::from([
            (
                "/home/coder".to_owned(),
                "docker_volume.home.name".to_owned()
            ),
            (
                "/var/lib/docker".to_owned(),
                "docker_volume.docker.name".to_owned()
            ),
        ])
    );
    assert!(sub(container, "mounts").is_empty(), "no bind mounts");
    let names: BTreeSet<String> = ["home", "docker"]
        .iter()
        .map(|v| attr(tf.resource("docker_volume", v), "name").to_string())
        .collect();
    assert_eq!(names.len(), 2, "distinct volume names");
    // The host's Docker socket: only the provider's own address and its
    // plan-time check mention it (never a mount).
    let sock = mentions(&tf, "docker.sock");
    assert!(
        sock.iter().all(|p| [
            "variable.docker_host.description",
            "locals.docker_socket_path",
            "resource.docker_volume.home.lifecycle.precondition.error_message"
        ]
        .contains(&p.as_str())),
        "docker.sock appears in {sock:?}"
    );
    assert!(mentions(&tf, "host_path").is_empty());
}

fn check_kubernetes(files: &Files, _a: &Answers) {
    let tf = Tf::parse(files);
    let providers = required_providers(&tf);
    assert_eq!(
        providers.keys().collect::<Vec<_>>(),
        ["coder", "kubernetes"]
    );
    let (source, version) = &providers["kubernetes"];
    assert_eq!(source, "hashicorp/kubernetes");
    tf_constraint(version.as_deref().expect("kubernetes provider version"));
    tf.find("provider", &["kubernetes"]);
    assert!(
        tf.try_find("provider", &["docker"]).is_none(),
        "no docker provider"
    );
    for b in tf.all() {
        assert!(
            !(["resource", "data"].contains(&b.identifier())
                && b.labels()[0].as_str().starts_with("docker_")),
            "{} in the kubernetes flavour",
            block_name(b)
        );
    }

    // Variables.
    let kubeconfig = tf.find("variable", &["use_kubeconfig"]).body();
    assert_expr(attr(kubeconfig, "type"), "bool", "use_kubeconfig type");
    assert_eq!(literal(attr(kubeconfig, "default")), Value::Bool(false));
    let ns = tf.find("variable", &["namespace"]).body();
    assert_expr(attr(ns, "type"), "string", "namespace type");
    assert_eq!(tf.variable_default("storage_class"), Value::from(""));
    assert_eq!(tf.variable_default("docker_disk_size"), Value::from("30Gi"));
    let provider = tf.find("provider", &["kubernetes"]).body();
    assert_expr(
        attr(provider, "config_path"),
        r#"var.use_kubeconfig == true ? "~/.kube/config" : null"#,
        "config_path",
    );

    // Parameters: cpu, memory, home disk.
    for p in ["cpu", "memory", "home_disk_size"] {
        let body = tf.find("data", &["coder_parameter", p]).body();
        assert_eq!(literal_str(attr(body, "name")), p);
    }

    // PVCs for home and /var/lib/docker, with the storage class and sizes.
    let sizes = [
        (
            "home",
            r#""${data.coder_parameter.home_disk_size.value}Gi""#,
        ),
        ("docker", "var.docker_disk_size"),
    ];
    for (name, size) in sizes {
        let pvc = tf.resource("kubernetes_persistent_volume_claim_v1", name);
        assert_expr(
            attr(one(pvc, "metadata"), "namespace"),
            "var.namespace",
            name,
        );
        let spec = one(pvc, "spec");
        assert_expr(
            attr(spec, "storage_class_name"),
            r#"var.storage_class != "" ? var.storage_class : null"#,
            name,
        );
        let requests = attr(one(spec, "resources"), "requests");
        assert_expr(requests, &format!("{{ storage = {size} }}"), name);
    }

    // The Deployment and its pod.
    let dep = tf.resource("kubernetes_deployment_v1", "workspace");
    let meta = one(dep, "metadata");
    assert_expr(
        attr(meta, "namespace"),
        "var.namespace",
        "deployment namespace",
    );
    assert_expr(
        attr(meta, "labels"),
        "local.k8s_labels",
        "deployment labels",
    );
    let pod = one(one(one(dep, "spec"), "template"), "spec");
    let pod_meta = one(one(one(dep, "spec"), "template"), "metadata");
    assert_expr(attr(pod_meta, "labels"), "local.k8s_labels", "pod labels");
    let labels = tf.locals()["k8s_labels"].clone();
    let Expression::Object(labels) = labels else {
        panic!("k8s_labels")
    };
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (key_str(k), v.to_string()))
        .collect();
    for (key, value) in [
        ("com.coder.resource", r#""true""#),
        ("com.coder.workspace.id", "data.coder_workspace.me.id"),
        ("com.coder.workspace.name", "data.coder_workspace.me.name"),
        ("com.coder.user.id", "data.coder_workspace_owner.me.id"),
        (
            "com.coder.user.username",
            "data.coder_workspace_owner.me.name",
        ),
    ] {
        assert_eq!(
            labels.get(key).map(String::as_str),
            Some(value),
            "label {key}"
        );
    }
    assert_expr(
        attr(pod, "runtime_class_name"),
        r#"var.docker_runtime == "sysbox" ? "sysbox-runc" : null"#,
        "runtime_class_name",
    );
    let containers = sub(pod, "container");
    assert_eq!(containers.len(), 1);
    let c = containers[0];
    assert_expr(attr(c, "image"), "var.workspace_image", "image");
    assert_expr(
        attr(one(c, "security_context"), "privileged"),
        r#"var.docker_runtime == "privileged""#,
        "privileged",
    );
    let resources = one(c, "resources");
    for kind in ["requests", "limits"] {
        let Expression::Object(o) = attr(resources, kind) else {
            panic!("{kind}")
        };
        let map: BTreeMap<String, String> =
            o.iter().map(|(k, v)| (key_str(k), v.to_string())).collect();
        for p in ["cpu", "memory"] {
            assert!(
                map.get(p)
                    .is_some_and(|e| e.contains(&format!("data.coder_parameter.{p}.value"))),
                "{kind}.{p} = {:?} does not use the {p} parameter",
                map.get(p)
            );
        }
    }
    // Mounts → volumes → PVCs.
    let volumes: BTreeMap<String, String> = sub(pod, "volume")
        .into_iter()
        .map(|vol| {
            let pvc = one(vol, "persistent_volume_claim");
            (
                literal_str(attr(vol, "name")),
                attr(pvc, "claim_name").to_string(),
            )
        })
        .collect();
    let mounts: BTreeMap<String, String> = sub(c, "volume_mount")
        .into_iter()
        .map(|m| {
            let path = match attr(m, "mount_path") {
                e if *e == ex("local.home_dir") => "/home/coder".to_owned(),
                e => literal_str(e),
            };
            let claim = volumes
                .get(&literal_str(attr(m, "name")))
                .unwrap_or_else(|| panic!("mount {path}: no volume"))
                .clone();
            (path, claim)
        })
        .collect();
    assert_eq!(
        mounts,
        BTreeMap::from([
            (
                "/home/coder".to_owned(),
                "kubernetes_persistent_volume_claim_v1.home.metadata[0].name".to_owned()
            ),
            (
                "/var/lib/docker".to_owned(),
                "kubernetes_persistent_volume_claim_v1.docker.metadata[0].name".to_owned()
            ),
        ])
    );
    // No hostPath anywhere, and no Docker socket.
    assert!(
        mentions(&tf, "host_path").is_empty(),
        "host_path: {:?}",
        mentions(&tf, "host_path")
    );
    assert!(mentions(&tf, "hostPath").is_empty());
    assert!(mentions(&tf, "docker.sock").is_empty());
}

/// The files of the folder: nothing hidden, small, every file()/fileset()
/// path present, every script referenced, scripts pass `bash -n`.
fn check_files(files: &Files) {
    for path in files.keys() {
        assert!(
            !path.split('/').any(|part| part.starts_with('.')),
            "coder/{path} is hidden: `coder templates push` drops it"
        );
    }
    // A tar of the folder (512-byte header and padding per file) is what is uploaded.
    let tar_size: usize = files
        .values()
        .map(|b| 512 + b.len().div_ceil(512) * 512)
        .sum::<usize>()
        + 1024;
    assert!(
        tar_size < 256 * 1024,
        "the template is {tar_size} bytes as a tar; the limit is 1 MiB"
    );

    let tf = Tf::parse(files);
    let mut referenced = BTreeSet::new();
    // path.module is the folder of the file the call is in; the module's
    // bundle_dir is what the root passes ("${path.module}/project").
    let call = tf.module_call.as_ref().expect("the module call");
    let bundle_dir = attr(call, "bundle_dir");
    assert_eq!(bundle_dir.to_string(), r#""${path.module}/project""#);
    referenced.insert("project/".to_owned());
    for (file, block) in &tf.blocks {
        let prefix = file
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| format!("{d}/"));
        each_attr(&block_name(block), block.body(), &mut |path, e| {
            walk(e, &mut |e| {
                let Expression::FuncCall(c) = e else { return };
                let func = c.name.name.as_str();
                if ![
                    "file",
                    "filebase64",
                    "fileset",
                    "templatefile",
                    "filemd5",
                    "filesha256",
                ]
                .contains(&func)
                {
                    return;
                }
                if c.args[0] == ex("var.bundle_dir") {
                    return;
                }
                let Expression::TemplateExpr(t) = &c.args[0] else {
                    panic!("{path}: {func}() of a non-template path `{}`", c.args[0])
                };
                if t.to_string().starts_with("${var.bundle_dir}/") {
                    return;
                }
                let t = hcl::Template::from_expr(t).unwrap();
                let els = t.elements();
                use hcl::template::Element;
                match &els[0] {
                    Element::Interpolation(i) if i.expr == ex("path.module") => {}
                    _ => panic!("{path}: {func}() of a path outside path.module: {t}"),
                }
                let Some(Element::Literal(rel)) = els.get(1) else {
                    panic!("{path}: {t}")
                };
                let rel = format!(
                    "{prefix}{}",
                    rel.strip_prefix('/').expect("path.module/...")
                );
                if func == "fileset" || els.len() > 2 {
                    let dir = format!("{}/", rel.trim_end_matches('/'));
                    assert!(
                        files.keys().any(|f| f.starts_with(&dir)),
                        "{path}: {func}() of {dir}: no such folder"
                    );
                    referenced.insert(dir);
                } else {
                    assert!(
                        files.contains_key(&rel),
                        "{path}: {func}(\"{rel}\"): no such file in coder/"
                    );
                    referenced.insert(rel.clone());
                }
            });
        });
    }
    for f in files.keys() {
        if f.starts_with("modules/convex/scripts/") || f.starts_with("project/") {
            assert!(
                referenced.contains(f)
                    || referenced
                        .iter()
                        .any(|r| r.ends_with('/') && f.starts_with(r)),
                "coder/{f} is shipped but never read by the template"
            );
        }
    }
    assert!(
        referenced.contains("project/"),
        "the project bundle: {referenced:?}"
    );

    // Upper bound of the start script (bundle not compressed at all): the
    // precondition (< 126000 characters) holds for a fresh render.
    let bundle: usize = files
        .iter()
        .filter(|(p, _)| p.starts_with("project/"))
        .map(|(p, b)| (p.len() + 2).div_ceil(3) * 4 + 3 + (b.len() + 64).div_ceil(3) * 4 + 1)
        .sum();
    let start = bundle + files["modules/convex/scripts/convex-start.sh"].len() + 100;
    assert!(
        start < 126_000,
        "the start script may reach {start} characters"
    );

    // Every shell script parses (each distinct text is checked once).
    use std::hash::{Hash, Hasher};
    static PASSED: std::sync::Mutex<BTreeSet<u64>> = std::sync::Mutex::new(BTreeSet::new());
    let tmp = tempfile::tempdir().unwrap();
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with(".sh")) {
        if path.starts_with("modules/convex/scripts/") {
            assert!(
                bytes.starts_with(b"#!/usr/bin/env bash\n"),
                "coder/{path}: shebang"
            );
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        let hash = hasher.finish();
        if PASSED.lock().unwrap().contains(&hash) {
            continue;
        }
        let file = tmp.path().join(path.replace('/', "_"));
        std::fs::write(&file, bytes).unwrap();
        let out = std::process::Command::new("bash")
            .arg("-n")
            .arg(&file)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "bash -n coder/{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PASSED.lock().unwrap().insert(hash);
    }
}

fn check_all(files: &Files, a: &Answers) {
    check_files(files);
    check_shared(files, a);
    match a.platform {
        answers::Platform::Docker => check_docker(files, a),
        answers::Platform::Kubernetes => check_kubernetes(files, a),
    }
}

// ---------------------------------------------------------------------------
// Tests on the folder the binary writes

fn written(sb: &Sandbox, name: &str, set: &[(&str, &str)]) -> (Files, Answers) {
    let mut args = Vec::new();
    for (k, v) in set {
        args.push("--set".to_owned());
        args.push(format!("{k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dir = sb.new_project(name, &args);
    let files = read_tree(&dir.join("coder"));
    #[cfg(unix)]
    for path in files
        .keys()
        .filter(|p| p.starts_with("modules/convex/scripts/"))
    {
        assert_eq!(
            mode(&dir.join("coder").join(path)),
            0o755,
            "coder/{path} mode"
        );
    }
    let mut set = set.to_vec();
    set.push(("name", name));
    (files, answers_with(&set))
}

#[test]
fn docker_template_written_by_new() {
    let sb = Sandbox::new();
    let variants: &[&[(&str, &str)]] = &[
        &[],
        &[
            ("wildcard_domain", "*.coder.example.com"),
            ("agent_name", "dev-1"),
        ],
        &[
            ("wildcard_domain", "*-apps.example.com"),
            ("docker_runtime", "sysbox"),
            ("convex_app_share", "authenticated"),
            ("frontend", "nextjs"),
        ],
        &[
            ("frontend", "none"),
            ("convex_app_share", "owner"),
            ("storage", "s3"),
        ],
    ];
    for (i, set) in variants.iter().enumerate() {
        let (files, a) = written(&sb, &format!("demo{i}"), set);
        assert_eq!(files, render(&a), "the library renders what new writes");
        check_all(&files, &a);
    }
}

#[test]
fn kubernetes_template_written_by_new() {
    let sb = Sandbox::new();
    let variants: &[&[(&str, &str)]] = &[
        &[("platform", "kubernetes")],
        &[
            ("platform", "kubernetes"),
            ("wildcard_domain", "*-apps.example.com"),
            ("docker_runtime", "sysbox"),
            ("frontend", "none"),
            ("ide_modules", "false"),
        ],
    ];
    for (i, set) in variants.iter().enumerate() {
        let (files, a) = written(&sb, &format!("k{i}"), set);
        check_all(&files, &a);
    }
}

#[test]
fn apps_env_and_urls_are_identical_in_both_flavours() {
    let combos: &[&[(&str, &str)]] = &[
        &[],
        &[
            ("wildcard_domain", "*-apps.example.com"),
            ("frontend", "nextjs"),
            ("convex_app_share", "owner"),
            ("agent_name", "dev-box"),
            ("docker_runtime", "sysbox"),
            ("git_url", "https://github.com/acme/app.git"),
        ],
        &[
            ("frontend", "none"),
            ("storage", "s3"),
            ("wildcard_domain", "*.c.example.com"),
            ("ide_modules", "false"),
        ],
    ];
    for set in combos {
        let mut docker = set.to_vec();
        docker.push(("platform", "docker"));
        let mut k8s = set.to_vec();
        k8s.push(("platform", "kubernetes"));
        let (d, k) = (render(&answers_with(&docker)), render(&answers_with(&k8s)));
        check_platforms_share(&d, &k);
        check_all(&k, &answers_with(&k8s));
    }
}

fn check_platforms_share(d: &Files, k: &Files) {
    for f in ["convex.tf", MODULE_TF] {
        assert!(d[f] == k[f], "{f} differs between the flavours");
    }
    let (dt, kt) = (Tf::parse(d), Tf::parse(k));
    // No app, env, script or agent outside convex.tf, and main.tf's locals
    // only add platform details (no URL/env local is redefined).
    for tf in [&dt, &kt] {
        for b in tf.in_file("main.tf") {
            let kind = b.labels().first().map(|l| l.as_str()).unwrap_or("");
            assert!(
                !["coder_app", "coder_env", "coder_script", "coder_agent"].contains(&kind),
                "{} in main.tf",
                block_name(b)
            );
            if b.identifier() == "locals" {
                for a in b.body().attributes() {
                    assert!(
                        !["url", "host", "env", "slug"]
                            .iter()
                            .any(|w| a.key().contains(w)),
                        "main.tf local.{}",
                        a.key()
                    );
                }
            }
        }
    }
    let shared = |tf: &Tf| -> Vec<Block> {
        tf.all()
            .filter(|b| {
                (b.identifier() == "locals"
                    && b.body().attributes().any(|a| a.key() == "workspace_env"))
                    || b.labels()
                        .first()
                        .is_some_and(|l| ["coder_app", "coder_env"].contains(&l.as_str()))
            })
            .cloned()
            .collect()
    };
    assert_eq!(shared(&dt), shared(&kt));
    // The too-long-label precondition is the module's (shared above), not
    // the workspace resource's.
    for files in [d, k] {
        let tf = Tf::parse(files);
        let (ty, name) = workspace_resource(files);
        assert!(sub(tf.resource(ty, name), "lifecycle").is_empty());
    }
}

// ---------------------------------------------------------------------------
// Hostile but valid values

/// The printable ASCII characters `validate` accepts at one spot of a value.
fn accepted_chars(key: &str, before: &str, after: &str) -> String {
    (' '..='~')
        .filter(|c| {
            let mut given = RawAnswers::default();
            given
                .values
                .insert(key.into(), format!("{before}{c}{after}"));
            answers::validate(&answers::with_defaults(&given, "demo")).is_ok()
        })
        .collect()
}

#[test]
fn hostile_values_read_back_exactly() {
    // What each validator lets through besides letters and digits, probed
    // one printable ASCII character at a time (no quote, backslash, '$',
    // braces, backquote, space or control character gets through).
    let probes = [
        ("git_url", "https://h.example.com/a", "b", "%+,-./:=@_~"),
        ("workspace_image", "r.example.com:5000/a", "b:t", "-./_"),
        ("workspace_image", "r/a:t", "", "-._"),
        ("wildcard_domain", "*-a", "b.example.com", "-."),
    ];
    for (key, before, after, want) in probes {
        let got: String = accepted_chars(key, before, after)
            .chars()
            .filter(|c| !c.is_ascii_alphanumeric())
            .collect();
        assert_eq!(got, want, "{key}: {before}?{after}");
    }

    let digest = format!("@sha256:{}", "0a".repeat(32));
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![
            (
                "git_url",
                "ssh://u%24p%7B%25%7D@h-1.example.com:8443/~a/b_c-d.e+f=g,h%%/%x.git".into(),
            ),
            (
                "workspace_image",
                format!("registry-1.example.com:5000/a__b/c.d-e/f--g:_T.9-z{digest}"),
            ),
            ("wildcard_domain", "*---x--y.0-a.example.com".into()),
        ],
        vec![
            ("git_url", "git@h.example.com:a/b.git".into()),
            ("workspace_image", "localhost:5000/x".into()),
            ("wildcard_domain", "*.localhost".into()),
        ],
        vec![
            (
                "git_url",
                "ssh://git@h.example.com:22/%%24%%7B/x,y=z+1".into(),
            ),
            ("workspace_image", format!("x{digest}")),
            (
                "wildcard_domain",
                format!("*-{}.example.com", "a".repeat(34)),
            ),
        ],
    ];
    for case in &cases {
        let set: Vec<(&str, &str)> = case.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = answers_with(&set);
        for (k, v) in case {
            let got = a.to_raw().get(k).unwrap().to_owned();
            assert_eq!(&got, v, "{k} is accepted unchanged");
        }
        for platform in ["docker", "kubernetes"] {
            let mut set = set.clone();
            set.push(("platform", platform));
            let a = answers_with(&set);
            let files = render(&a);
            check_all(&files, &a);
        }
    }
    // Once through the binary as well.
    let sb = Sandbox::new();
    let set: Vec<(&str, &str)> = cases[0].iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (files, a) = written(&sb, "hostile", &set);
    check_all(&files, &a);
}

// ---------------------------------------------------------------------------
// Agent names and host labels

#[test]
fn agent_names_the_validator_refuses_are_refused_by_new() {
    let sb = Sandbox::new();
    let long = "a".repeat(33);
    for (i, bad) in [
        "a--b",
        "Main",
        "1main",
        "main-",
        "-main",
        "a_b",
        "dev.box",
        long.as_str(),
        "",
    ]
    .iter()
    .enumerate()
    {
        assert!(answers::validate_agent_name(bad).is_err(), "{bad:?}");
        let dir = sb.path(&format!("bad{i}"));
        let out = bin()
            .arg("new")
            .arg(&dir)
            .args(["--yes", "--set", &format!("agent_name={bad}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "agent_name={bad:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("agent_name"),
            "agent_name={bad:?}"
        );
        assert!(!dir.exists(), "agent_name={bad:?} wrote files");
    }
}

/// Coder-valid workspace and user names (`[a-z0-9]+(-[a-z0-9]+)*`, ≤ 32).
fn coder_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,3}",
        "[a-z0-9]{20,32}",
        "[a-z0-9]{1,15}(-[a-z0-9]{1,15}){0,1}",
    ]
    .prop_filter("at most 32 characters", |s| s.len() <= 32)
}

fn agent_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("main".to_owned()),
        "[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,5}){0,3}",
        "[a-z][a-z0-9-]{0,31}",
    ]
    .prop_filter("accepted by the validator", |s| {
        answers::validate_agent_name(s).is_ok()
    })
}

fn wildcard() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*.coder.example.com".to_owned()),
        Just("*-apps.example.com".to_owned()),
        Just("*--prod.example.com".to_owned()),
        "\\*(-[a-z0-9]{1,12})?\\.[a-z0-9]{1,8}\\.[a-z]{2,4}",
    ]
    .prop_filter("accepted by the validator", |s| {
        answers::validate_wildcard_domain(s).is_ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// For every accepted agent name and Coder-valid workspace and user
    /// names, each app host parses back (as Coder parses it) into exactly
    /// those parts, and its label is ≤ 63 characters or refused by the
    /// precondition's list, as the template itself computes it.
    #[test]
    fn host_labels_follow_coders_rules(
        agent in agent_name(),
        ws in coder_name(),
        owner in coder_name(),
        wildcard in wildcard(),
        frontend in prop_oneof![Just("vite"), Just("none")],
    ) {
        // Each is valid alone; a pair that leaves no room for workspace and
        // owner names is refused as a whole (tested on its own below).
        let a = try_answers_with(&[("agent_name", &agent), ("wildcard_domain", &wildcard), ("frontend", frontend)]);
        prop_assume!(a.is_ok(), "pair refused: {:?}", a.as_ref().err());
        let a = a.unwrap();
        let files = render_convex_tf(&a);
        let tf = Tf::parse(&files);
        let got = eval_locals(&tf, &World::new(&ws, &owner), &["app_hosts", "app_host_labels", "too_long_app_host_labels"]);
        let hosts = as_str_map(&got["app_hosts"]);
        let labels = as_str_map(&got["app_host_labels"]);
        let frontend_port = a.frontend.dev_port().map(|p| p.to_string()).unwrap_or_default();
        let mut mirrored = BTreeMap::new();
        for (key, slug) in APP_SLUGS {
            let label = mirror_label(&wildcard, slug, &agent, &ws, &owner);
            prop_assert_eq!(&labels[*key], &label);
            let parts = coder_parse_app_host(&wildcard, &hosts[*key]);
            prop_assert_eq!(parts, Some([(*slug).to_owned(), agent.clone(), ws.clone(), owner.clone()]));
            mirrored.insert((*key).to_owned(), label);
        }
        let too_long = mirror_too_long(&mirrored, true, &frontend_port);
        prop_assert_eq!(sorted(as_str_list(&got["too_long_app_host_labels"])), sorted(too_long.clone()));
        for (key, label) in &mirrored {
            let used = key != "frontend" || !frontend_port.is_empty();
            prop_assert!(!used || label.len() <= 63 || too_long.contains(label));
        }
    }

    /// Every name the agent-name validator accepts is a Coder name part,
    /// an HCL identifier, and cannot split a host label.
    #[test]
    fn accepted_agent_names_are_coder_names(name in "[a-zA-Z0-9_.-]{0,40}") {
        if answers::validate_agent_name(&name).is_ok() {
            let n = Regex::new("^[a-z0-9]+(?:-[a-z0-9]+)*$").unwrap();
            prop_assert!(n.is_match(&name) && name.len() <= 32 && !name.contains("--"));
            prop_assert!(convex_scaffold::escape::hcl_ident(&name).is_ok());
        }
    }

    /// The template's wildcard_domain validation accepts exactly what the
    /// answer's validator accepts (a port, an upper-case letter, a path or
    /// a scheme are refused by both), and accepted wildcards follow Coder's
    /// hostname-pattern rules.
    #[test]
    fn accepted_wildcards_pass_the_templates_validation(
        w in prop_oneof![
            "\\*(-[a-z0-9-]{0,10}[a-z0-9])?\\.[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8}){0,3}",
            "\\*(-[a-z0-9-]{0,10}[a-z0-9])?\\.[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8}){0,3}(:[0-9]{1,5})?(/[a-z]{0,3})?",
            "(https?://)?\\*?[-.*a-zA-Z0-9:/]{0,20}",
        ],
    ) {
        use std::sync::OnceLock;
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            let files = render(&answers_with(&[]));
            wildcard_validation_regex(&Tf::parse(&files))
        });
        prop_assert_eq!(
            re.is_match(&w),
            answers::validate_wildcard_domain(&w).is_ok() && !w.is_empty(),
            "template and answer disagree on {:?}", w
        );
        if answers::validate_wildcard_domain(&w).is_ok() && !w.is_empty() {
            let host = w.replace('*', "convex-api--main--ws--me");
            prop_assert_eq!(
                coder_parse_app_host(&w, &host),
                Some(["convex-api".into(), "main".into(), "ws".into(), "me".into()])
            );
        }
    }
}

#[test]
fn long_names_are_caught_by_the_precondition() {
    // 32-character workspace and user names overflow 63 characters.
    let a = answers_with(&[("wildcard_domain", "*.coder.example.com")]);
    let files = render(&a);
    let tf = Tf::parse(&files);
    let ws = "w".repeat(32);
    let owner = "o".repeat(32);
    let got = eval_locals(&tf, &World::new(&ws, &owner), &["too_long_app_host_labels"]);
    let too_long = as_str_list(&got["too_long_app_host_labels"]);
    assert_eq!(too_long.len(), 4, "{too_long:?}");
    assert!(too_long.contains(&format!("convex-api--main--{ws}--{owner}")));
    // No wildcard: 127.0.0.1 URLs, nothing to refuse.
    let none = render(&answers_with(&[]));
    let got = eval_locals(
        &Tf::parse(&none),
        &World::new(&ws, &owner),
        &["too_long_app_host_labels", "convex_api_url"],
    );
    assert!(as_str_list(&got["too_long_app_host_labels"]).is_empty());
    assert_eq!(
        got["convex_api_url"].as_str(),
        Some("http://127.0.0.1:3210")
    );
}

// ---------------------------------------------------------------------------
// The checks themselves: each must reject a broken template.

#[test]
fn every_check_catches_its_mutation() {
    let docker_a = answers_with(&[("wildcard_domain", "*.coder.example.com")]);
    let k8s_a = answers_with(&[
        ("wildcard_domain", "*.coder.example.com"),
        ("platform", "kubernetes"),
    ]);
    let plain_a = answers_with(&[]);
    let docker = render(&docker_a);
    let k8s = render(&k8s_a);
    let plain = render(&plain_a);
    check_all(&docker, &docker_a);
    check_all(&k8s, &k8s_a);
    check_all(&plain, &plain_a);

    type Mutation = (&'static str, &'static str, &'static str, &'static str);
    // (flavour, file, from, to): the first occurrence of `from` is replaced.
    let text_mutations: &[Mutation] = &[
        ("docker", MODULE_TF, "subdomain    = true", "subdomain    = false"),
        ("docker", MODULE_TF, r#"url          = "http://localhost:3210""#, r#"url          = "http://localhost:3299""#),
        ("docker", MODULE_TF, "http://localhost:3210/version", "http://localhost:3210/"),
        ("docker", MODULE_TF, "healthcheck {\n    # Any", "check {\n    # Any"),
        ("docker", MODULE_TF, r#"share        = "owner""#, r#"share        = "public""#),
        ("docker", MODULE_TF, "share        = var.convex_app_share", r#"share        = "public""#),
        ("docker", "convex.tf", r#"default     = "public""#, r#"default     = "owner""#),
        ("docker", MODULE_TF, r#"default     = "public""#, r#"default     = "owner""#),
        ("docker", MODULE_TF, r#"default     = "privileged""#, r#"default     = "sysbox""#),
        ("docker", MODULE_TF, r#"default     = "*.coder.example.com""#, r#"default     = "*.coder.example.org""#),
        ("docker", "convex.tf", "wildcard_domain  = var.wildcard_domain", r#"wildcard_domain  = "*.coder.example.com""#),
        ("docker", MODULE_TF, "(localhost|", "(localhost|.*|"),
        ("docker", MODULE_TF, "group        = var.group", r#"group        = "Apps""#),
        ("docker", "convex.tf", r#"default     = "privileged""#, r#"default     = "sysbox""#),
        ("docker", "convex.tf", r#"default     = "*.coder.example.com""#, r#"default     = "*.coder.example.org""#),
        ("docker", "convex.tf", r#"default     = "codercom/enterprise-node:ubuntu""#, r#"default     = "codercom/enterprise-node""#),
        ("docker", MODULE_TF, "CONVEX_CLOUD_ORIGIN        =", "CONVEX_CLOUD_ORIGN         ="),
        ("docker", MODULE_TF, "      NEXT_PUBLIC_DEPLOYMENT_URL = local.convex_api_url\n", ""),
        ("docker", MODULE_TF, r#"frontend_url_var = "VITE_CONVEX_URL""#, r#"frontend_url_var = """#),
        ("docker", MODULE_TF, "${local.workspace_name}--${local.owner_name}", "${local.owner_name}--${local.workspace_name}"),
        ("docker", MODULE_TF, "length(label) > 63", "length(label) > 64"),
        ("plain", MODULE_TF, "site = 3211", "site = 3299"),
        ("docker", MODULE_TF, r#"CONVEX_SELF_HOSTED_URL     = "http://127.0.0.1:${local.app_ports.api}""#, "CONVEX_SELF_HOSTED_URL     = local.convex_api_url"),
        ("docker", MODULE_TF, "CONVEX_APP_PORTS           = \"PORT=", "CONVEX_APP_PORTS           = \"PORT=1"),
        ("plain", "convex.tf", r#"default     = """#, r#"default     = "*.x.example.com""#),
        ("docker", MODULE_TF, "for_each = local.workspace_env", "for_each = {}"),
        ("docker", MODULE_TF, "run_on_stop  = true", "run_on_start = true"),
        ("docker", "convex.tf", "    GIT_COMMITTER_EMAIL = data.coder_workspace_owner.me.email\n", ""),
        ("docker", "convex.tf", r#"version  = "1.5.2""#, r#"version  = "~> 1.5""#),
        ("docker", "convex.tf", "  agent_name      = local.agent_name\n", ""),
        ("docker", "convex.tf", r#"os   = "linux""#, "os   = \"linux\"\n  dir  = \"/home/coder\""),
        ("docker", MODULE_TF, "subdomain    = true", "subdomain    = true\n  relative_path = true"),
        ("docker", "convex.tf", "startup_script = <<-EOT\n", "startup_script = <<-EOT\n    sudo service docker start\n"),
        ("docker", MODULE_TF, "scripts/convex-stop.sh", "scripts/convex-halt.sh"),
        ("docker", MODULE_TF, r#"slug         = local.app_slugs.api"#, r#"slug         = "convex-api""#),
        ("docker", MODULE_TF, r#"api       = "convex-api""#, r#"api       = "convex_api""#),
        ("docker", MODULE_TF, "length(local.too_long_app_host_labels) == 0", "true"),
        ("docker", "main.tf", "count = data.coder_workspace.me.start_count", "count = 1"),
        ("docker", "main.tf", r#"version = ">= 2.15.0, < 3.0.0""#, r#"version = ">= 1.0.0""#),
        ("docker", "main.tf", "      version = \"~> 4.0\"\n", ""),
        ("docker", "main.tf", r#"container_path = "/var/lib/docker""#, r#"container_path = "/var/lib/dockr""#),
        ("docker", "main.tf", r#"privileged = var.docker_runtime == "privileged""#, "privileged = true"),
        ("docker", "main.tf", r#""sysbox" ? "sysbox-runc" : null"#, r#""sysbox" ? "runc" : null"#),
        ("docker", "main.tf", "  host {\n", "  volumes {\n    container_path = \"/var/run/docker.sock\"\n    host_path      = \"/var/run/docker.sock\"\n  }\n  host {\n"),
        ("docker", "main.tf", "volume_name    = docker_volume.docker.name", "volume_name    = docker_volume.home.name"),
        ("docker", "main.tf", "kreuzwerker/docker", "kreuzwerker/dockr"),
        ("docker", "main.tf", "!try(fileexists(local.docker_socket_path), true)", "!try(fileexists(local.docker_socket_path), false)"),
        ("docker", "main.tf", "condition     = !local.docker_socket_absent", "condition     = true"),
        ("kubernetes", "main.tf", r#""sysbox" ? "sysbox-runc" : null"#, "null"),
        ("kubernetes", "main.tf", r#"privileged  = var.docker_runtime == "privileged""#, "privileged  = false"),
        ("kubernetes", "main.tf", r#""cpu"    = data.coder_parameter.cpu.value"#, r#""cpu"    = "2""#),
        ("kubernetes", "main.tf", r#""memory" = "${tonumber(data.coder_parameter.memory.value) * 512}Mi""#, r#""memory" = "2Gi""#),
        ("kubernetes", "main.tf", "        volume {\n          name = \"home\"\n", "        volume {\n          name = \"home\"\n          host_path {\n            path = \"/home\"\n          }\n"),
        ("kubernetes", "main.tf", r#"storage_class_name = var.storage_class != "" ? var.storage_class : null"#, "storage_class_name = null"),
        ("kubernetes", "main.tf", "storage = var.docker_disk_size", r#"storage = "30Gi""#),
        ("kubernetes", "main.tf", "count = data.coder_workspace.me.start_count", "count = 1"),
        ("kubernetes", "main.tf", "    kubernetes = {\n", "    docker = {\n      source = \"kreuzwerker/docker\"\n    }\n    kubernetes = {\n"),
        ("kubernetes", "main.tf", "      version = \"~> 3.0\"\n", ""),
        ("kubernetes", "main.tf", "    \"com.coder.workspace.id\"     = data.coder_workspace.me.id\n    \"com.coder.workspace.name\"", "    \"com.coder.workspace.name\""),
        ("kubernetes", "main.tf", r#"variable "namespace""#, r#"variable "ns""#),
        ("kubernetes", "main.tf", "claim_name = kubernetes_persistent_volume_claim_v1.docker.metadata[0].name", "claim_name = kubernetes_persistent_volume_claim_v1.home.metadata[0].name"),
        ("kubernetes", "main.tf", "mount_path = \"/var/lib/docker\"", "mount_path = \"/var/lib/docker2\""),
    ];
    for (flavour, file, from, to) in text_mutations {
        let (files, a) = match *flavour {
            "docker" => (&docker, &docker_a),
            "plain" => (&plain, &plain_a),
            _ => (&k8s, &k8s_a),
        };
        let text = file_text(files, file);
        assert!(
            text.contains(from),
            "mutation source {from:?} not found in {flavour} {file}"
        );
        let mut broken = files.clone();
        broken.insert((*file).to_owned(), text.replacen(from, to, 1).into_bytes());
        let caught = catch_unwind(AssertUnwindSafe(|| check_all(&broken, a))).is_err();
        assert!(
            caught,
            "no check caught {flavour} {file}: {from:?} -> {to:?}"
        );
    }

    // Folder-level mutations.
    type Mutate = fn(&mut Files);
    let folder_mutations: Vec<(&str, Mutate)> = vec![
        ("hidden file", |f: &mut Files| {
            f.insert(".env".into(), b"X=1\n".to_vec());
        }),
        ("hidden bundled file", |f: &mut Files| {
            let npmrc = f.remove("project/npmrc").unwrap();
            f.insert("project/.npmrc".into(), npmrc);
        }),
        ("missing script", |f: &mut Files| {
            f.remove("modules/convex/scripts/dockerd-start.sh");
        }),
        ("orphan script", |f: &mut Files| {
            f.insert(
                "modules/convex/scripts/unused.sh".into(),
                b"#!/usr/bin/env bash\n".to_vec(),
            );
        }),
        ("shell syntax error", |f: &mut Files| {
            f.get_mut("modules/convex/scripts/convex-stop.sh")
                .unwrap()
                .extend_from_slice(b"\nif then fi\n");
        }),
        ("over 1 MiB", |f: &mut Files| {
            f.insert("project/big.bin".into(), vec![0u8; 1 << 20]);
        }),
        ("extra .tf file", |f: &mut Files| {
            f.insert("extra.tf".into(), b"locals {}\n".to_vec());
        }),
    ];
    for (what, mutate) in &folder_mutations {
        let mut broken = docker.clone();
        mutate(&mut broken);
        let caught = catch_unwind(AssertUnwindSafe(|| check_all(&broken, &docker_a))).is_err();
        assert!(caught, "no check caught: {what}");
    }

    // The flavours must share convex.tf byte for byte.
    let mut k8s_changed = k8s.clone();
    let text = file_text(&k8s, "convex.tf").replacen("interval     = 60", "interval     = 61", 1);
    k8s_changed.insert("convex.tf".into(), text.into_bytes());
    assert!(catch_unwind(AssertUnwindSafe(|| check_platforms_share(
        &docker,
        &k8s_changed
    )))
    .is_err());
    let mut k8s_changed = k8s.clone();
    let text = file_text(&k8s, MODULE_TF).replacen(
        "order        = var.order + 2",
        "order        = var.order + 5",
        1,
    );
    k8s_changed.insert(MODULE_TF.into(), text.into_bytes());
    assert!(catch_unwind(AssertUnwindSafe(|| check_platforms_share(
        &docker,
        &k8s_changed
    )))
    .is_err());
    check_platforms_share(&docker, &k8s);

    // The Coder pipeline refuses what it should.
    assert!(
        coder_parse_app_host("*.x.com", "convex-api--main--ws.x.com")
            .is_some_and(|p| p[1].is_empty())
    );
    assert!(coder_parse_app_host("*.x.com", "convex-api--a--b--ws--me.x.com").is_none());
    assert_eq!(
        coder_parse_app_host("*-apps.x.com", "convex-api--main--ws--me-apps.x.com"),
        Some(["convex-api".into(), "main".into(), "ws".into(), "me".into()])
    );
    assert!(
        tf_constraint("~> 4.0").matches(&v("4.9.0"))
            && !tf_constraint("~> 4.0").matches(&v("5.0.0"))
    );
    assert!(!tf_constraint("~> 4.5.0").matches(&v("4.6.0")));
    assert!(!tf_constraint("2.15.0").matches(&v("2.17.0")));
}

/// `answers::validate` refuses agent_name / wildcard_domain pairs whose
/// shortest app host label (1-character workspace and owner names) is
/// already over 63 characters: the precondition would refuse every
/// workspace. Pairs it accepts leave room, as the template computes it.
#[test]
fn accepted_answers_leave_room_for_workspace_and_user_names() {
    let long_suffix = format!("*-{}.example.com", "b".repeat(38));
    let long_agent = "a".repeat(32);
    for (agent, wildcard) in [
        ("main", long_suffix.as_str()),
        (long_agent.as_str(), "*-apps-x1.example.com"),
    ] {
        let mut raw = convex_scaffold::answers::with_defaults(
            &convex_scaffold::answers::RawAnswers::default(),
            "demo",
        );
        raw.values.insert("agent_name".into(), agent.into());
        raw.values.insert("wildcard_domain".into(), wildcard.into());
        let errors = convex_scaffold::answers::validate(&raw).expect_err("refused");
        assert!(
            errors
                .iter()
                .any(|e| e.key == "wildcard_domain" && e.rule.contains("63")),
            "{errors:?}"
        );
    }
    // The longest accepted pairs still leave room for "a" and "b".
    for (agent, wildcard) in [
        ("main", format!("*-{}.example.com", "b".repeat(34))),
        (long_agent.as_str(), "*.example.com".to_owned()),
    ] {
        let a = answers_with(&[
            ("agent_name", agent),
            ("wildcard_domain", wildcard.as_str()),
        ]);
        let files = render(&a);
        let got = eval_locals(
            &Tf::parse(&files),
            &World::new("a", "b"),
            &["too_long_app_host_labels"],
        );
        assert_eq!(
            as_str_list(&got["too_long_app_host_labels"]),
            Vec::<String>::new(),
            "agent_name={agent} wildcard_domain={wildcard} leaves no room for any workspace"
        );
    }
}
