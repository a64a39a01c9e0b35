//! Convex Auth (`auth = convex-auth`): the key pair that
//! `scripts/convex-auth.sh` keeps in `.convex-auth/` (its shape, mode 0600,
//! git-ignored), no key in a dotenv file where it does nothing, and, live,
//! the deployment holding JWT_PRIVATE_KEY, JWKS and SITE_URL. No value of a
//! key is ever put into a message.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use super::secrets::{mode, Ignore};
use super::{live, Check, Loaded, Project, ENV_DOCKER, ENV_LOCAL};
use crate::answers::Auth;

/// Where the script keeps the pair: one file per deployment variable (the
/// private key's ends in .pem, which dev servers refuse to serve).
pub const KEY_DIR: &str = ".convex-auth";
pub const KEY_FILES: &[(&str, &str)] = &[
    ("JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY.pem"),
    ("JWKS", "JWKS.json"),
];

fn auth_on(p: &Project) -> bool {
    p.state
        .as_ref()
        .is_some_and(|s| s.answers.auth == Auth::ConvexAuth)
}

/// What is wrong with a one-line PKCS#8 private key, if anything.
fn private_key_problem(text: &str) -> Option<&'static str> {
    if text.contains('\n') {
        return Some("spans several lines; Convex Auth reads it on one line, spaces for newlines");
    }
    let body = text
        .strip_prefix("-----BEGIN PRIVATE KEY-----")
        .and_then(|t| t.strip_suffix("-----END PRIVATE KEY-----"));
    match body {
        None => {
            Some("is not a PKCS#8 PEM (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)")
        }
        Some(b) if b.trim().len() < 1000 => Some("is too short for an RSA-2048 key"),
        Some(_) => None,
    }
}

/// The RSA public keys (n, e) of a JWKS, or why it is no JWKS.
fn jwks_rsa_keys(text: &str) -> Result<Vec<(String, String)>, &'static str> {
    let value = serde_json::from_str::<Value>(text).map_err(|_| "is not JSON")?;
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("has no \"keys\" array")?;
    Ok(keys
        .iter()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some("RSA"))
        .filter_map(|k| {
            Some((
                k.get("n")?.as_str()?.to_owned(),
                k.get("e")?.as_str()?.to_owned(),
            ))
        })
        .collect())
}

/// What is wrong with a JWKS, if anything.
fn jwks_problem(text: &str) -> Option<&'static str> {
    match jwks_rsa_keys(text) {
        Err(why) => Some(why),
        Ok(keys) if keys.is_empty() => Some("holds no RSA public key (kty, n, e)"),
        Ok(_) => None,
    }
}

/// Offline: the key files, and keys misplaced into dotenv files.
pub fn check(p: &Project, out: &mut Vec<Check>) {
    misplaced_keys(p, out);
    if !auth_on(p) {
        return;
    }
    let dir = p.dir.join(KEY_DIR);
    let present: Vec<(&str, &str)> = KEY_FILES
        .iter()
        .copied()
        .filter(|(_, file)| dir.join(file).is_file())
        .collect();
    if present.is_empty() {
        out.push(Check::warn(
            "auth-keys",
            format!("no key pair in {KEY_DIR}/ yet"),
            "scripts/convex-deploy.sh (or scripts/convex-auth.sh) makes it once after the backend is up",
        ));
        return;
    }
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    if present.len() < KEY_FILES.len() {
        let files: Vec<&str> = present.iter().map(|(_, f)| *f).collect();
        problems.push(format!("{KEY_DIR}/ holds only {}", files.join(", ")));
        fixes.push(
            "keep the deployment's pair: scripts/convex-auth.sh --adopt; or make a new pair: scripts/convex-auth.sh --rotate (signs every user out)"
                .to_owned(),
        );
    }
    for (var, file) in &present {
        let path = dir.join(file);
        let text = match super::read_text(&path) {
            Loaded::Ok(text) => text,
            Loaded::Missing => continue,
            Loaded::Unreadable(e) => {
                problems.push(format!("{KEY_DIR}/{file} cannot be read ({e})"));
                continue;
            }
        };
        let text = text.trim_end_matches(['\n', '\r']);
        let shape = match *var {
            "JWT_PRIVATE_KEY" => private_key_problem(text),
            _ => jwks_problem(text),
        };
        if let Some(why) = shape {
            problems.push(format!("{KEY_DIR}/{file} {why}"));
            fixes.push("keep the deployment's pair: scripts/convex-auth.sh --adopt; or make a new one: scripts/convex-auth.sh --rotate".to_owned());
        }
        if let Some(m) = mode(&path) {
            if m & 0o077 != 0 {
                problems.push(format!(
                    "{KEY_DIR}/{file} is mode {m:04o}: other users can read it"
                ));
                fixes.push(format!("chmod 600 {KEY_DIR}/{file}"));
            }
        }
    }
    let base = std::fs::canonicalize(&p.dir).unwrap_or_else(|_| p.dir.clone());
    let ignore = Ignore::load(&p.dir);
    if !KEY_FILES
        .iter()
        .all(|(_, f)| ignore.is_ignored(&base.join(KEY_DIR).join(f)))
    {
        problems.push(format!(
            "{KEY_DIR}/ is not git-ignored: a commit would publish the private key"
        ));
        fixes.push(format!("add {KEY_DIR}/ to .gitignore"));
    }
    fixes.dedup();
    out.push(if problems.is_empty() {
        Check::pass(
            "auth-keys",
            format!("{KEY_DIR}/ holds a one-line PKCS#8 key and a JWKS, mode 0600, git-ignored"),
        )
    } else {
        Check::fail("auth-keys", problems.join("; "), fixes.join("; "))
    });
}

/// JWT_PRIVATE_KEY / JWKS in `.env.local`, `.env` or `.env.docker`: the
/// functions read the deployment's variables, never these files (a
/// reported failure), and the key sits in one more file.
fn misplaced_keys(p: &Project, out: &mut Vec<Check>) {
    let mut found = Vec::new();
    for (file, env) in [
        (ENV_LOCAL, &p.env_local),
        (".env", &p.env_file),
        (ENV_DOCKER, &p.env_docker),
    ] {
        if let Some(env) = env.ok() {
            for (var, _) in KEY_FILES {
                if env.non_empty(var).is_some() {
                    found.push(format!("{var} in {file}"));
                }
            }
        }
    }
    if found.is_empty() {
        if auth_on(p) {
            out.push(Check::pass(
                "auth-dotenv",
                "no Convex Auth key in a dotenv file (they belong on the deployment)",
            ));
        }
        return;
    }
    let fix = if auth_on(p) {
        "delete those lines; scripts/convex-auth.sh sets the keys on the deployment from .convex-auth/"
    } else {
        "delete those lines and set the keys on the deployment: `convex-scaffold upgrade --set auth=convex-auth`, then scripts/convex-deploy.sh"
    };
    out.push(
        Check::warn(
            "auth-dotenv",
            format!(
                "{}: Convex Auth reads the deployment's environment variables, never a dotenv file, so sign-in fails with \"Missing environment variable\"",
                found.join(", ")
            ),
            fix,
        )
        .issue("auth-env-missing"),
    );
}

/// The SITE_URL the project's script would set here (the same order as
/// scripts/convex-auth.sh): CONVEX_AUTH_SITE_URL (environment, then
/// .env.local), the Coder workspace's Frontend app URL, the local dev server.
fn expected_site_url(p: &Project) -> Option<String> {
    let env = |k: &str| p.env.get(k).filter(|v| !v.is_empty()).cloned();
    let url = p
        .local_var("CONVEX_AUTH_SITE_URL")
        .map(|v| v.value)
        .or_else(|| env("CONVEX_SCAFFOLD_SITE_URL"))
        .or_else(|| {
            let port = env("CONVEX_FRONTEND_PORT").or_else(|| {
                p.state
                    .as_ref()
                    .and_then(|s| s.answers.frontend.dev_port())
                    .map(|port| port.to_string())
            })?;
            Some(format!("http://localhost:{port}"))
        })?;
    Some(url.trim_end_matches('/').to_owned())
}

/// The deployment's environment variables (values stay in memory, never in
/// a message): the documented `GET /api/v1/list_environment_variables`,
/// else (a backend without that route answers 404) the system query the
/// CLI's `env get` runs, one variable at a time.
fn deployment_vars(
    addr: SocketAddr,
    admin_key: &str,
    names: &[&str],
    timeout: Duration,
) -> Result<Vec<Option<String>>, String> {
    let auth = format!("Convex {admin_key}");
    let (status, text) = live::request(
        addr,
        "/api/v1/list_environment_variables",
        Some(&auth),
        None,
        timeout,
    )
    .map_err(|e| format!("/api/v1/list_environment_variables did not answer ({e})"))?;
    if status == 200 {
        let reply: Value = serde_json::from_str(&text)
            .map_err(|_| "/api/v1/list_environment_variables answered no JSON".to_owned())?;
        let vars = reply
            .get("environmentVariables")
            .ok_or("/api/v1/list_environment_variables answered no environmentVariables")?;
        return Ok(names
            .iter()
            .map(|n| {
                vars.get(n)
                    .and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            })
            .collect());
    }
    if status != 404 {
        return Err(format!(
            "/api/v1/list_environment_variables answered HTTP {status}"
        ));
    }
    names
        .iter()
        .map(|name| {
            let body = json!({
                "path": "_system/cli/queryEnvironmentVariables:get",
                "format": "convex_encoded_json",
                "args": [{ "name": name }],
            });
            let (status, text) = live::request(
                addr,
                "/api/query",
                Some(&auth),
                Some(&body.to_string()),
                timeout,
            )
            .map_err(|e| format!("/api/query did not answer ({e})"))?;
            if status != 200 {
                return Err(format!("/api/query answered HTTP {status}"));
            }
            let reply: Value = serde_json::from_str(&text)
                .map_err(|_| "/api/query answered no JSON".to_owned())?;
            if reply.get("status").and_then(Value::as_str) != Some("success") {
                return Err(format!(
                    "the query for {name} failed: {}",
                    reply
                        .get("errorMessage")
                        .and_then(Value::as_str)
                        .unwrap_or("no message")
                ));
            }
            Ok(reply
                .get("value")
                .and_then(|v| v.get("value"))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned))
        })
        .collect()
}

/// A key file's value as the script reads it (`$(cat FILE)`: trailing
/// newlines dropped).
fn key_file(dir: &Path, var: &str) -> Option<String> {
    let (_, file) = KEY_FILES.iter().find(|(v, _)| *v == var)?;
    let text = std::fs::read_to_string(dir.join(KEY_DIR).join(file)).ok()?;
    Some(text.trim_end_matches('\n').to_owned())
}

/// Whether the deployment's value agrees with the local file: the same
/// private key; a JWKS holding every key of the local one (it may hold more,
/// as the script accepts).
fn agrees(var: &str, local: &str, deployed: &str) -> bool {
    if var == "JWKS" {
        let deployed = jwks_rsa_keys(deployed).unwrap_or_default();
        let local = jwks_rsa_keys(local).unwrap_or_default();
        !local.is_empty() && local.iter().all(|k| deployed.contains(k))
    } else {
        local == deployed
    }
}

/// Live: the deployment holds the three variables (and the keys are the
/// ones in `.convex-auth/`). Called once the backend answers and accepts
/// the admin key.
pub fn check_live(
    p: &Project,
    addr: SocketAddr,
    admin_key: &str,
    timeout: Duration,
    out: &mut Vec<Check>,
) {
    if !auth_on(p) {
        return;
    }
    const NAMES: [&str; 3] = ["JWT_PRIVATE_KEY", "JWKS", "SITE_URL"];
    let values = match deployment_vars(addr, admin_key, &NAMES, timeout) {
        Ok(values) => values,
        Err(e) => {
            out.push(Check::warn(
                "auth-env",
                format!("could not read the deployment's environment variables: {e}"),
                "run scripts/convex-auth.sh --check",
            ));
            return;
        }
    };
    let mut missing = Vec::new();
    let mut differs = Vec::new();
    let mut site = None;
    for (var, value) in NAMES.iter().copied().zip(values) {
        match value {
            None => missing.push(var),
            Some(value) if var == "SITE_URL" => site = Some(value),
            Some(value) => {
                if key_file(&p.dir, var).is_some_and(|local| !agrees(var, &local, &value)) {
                    differs.push(var);
                }
            }
        }
    }
    if !missing.is_empty() {
        out.push(
            Check::fail(
                "auth-env",
                format!(
                    "{} not set on the deployment: Convex Auth fails with \"Missing environment variable\"",
                    missing.join(", ")
                ),
                if missing == ["SITE_URL"] && expected_site_url(p).is_none() {
                    "this project has no frontend: put CONVEX_AUTH_SITE_URL=<the URL users sign in on> into .env.local, then run scripts/convex-auth.sh"
                } else {
                    "scripts/convex-auth.sh (scripts/convex-deploy.sh runs it after each deploy)"
                },
            )
            .issue("auth-env-missing"),
        );
        return;
    }
    if differs == ["JWKS"] {
        // The private key is ours: the deployment's pair is broken, and the
        // plain script run repairs it (no rotation).
        out.push(Check::fail(
            "auth-env",
            "the deployment's JWKS lacks the public half of its JWT_PRIVATE_KEY (the one in .convex-auth/): a broken pair, every sign-in fails",
            "scripts/convex-auth.sh (it sets the JWKS that belongs to the key; nothing is rotated)",
        ));
        return;
    }
    if !differs.is_empty() {
        out.push(Check::fail(
            "auth-env",
            format!(
                "{} on the deployment {} from {KEY_DIR}/ (values not shown): the keys were changed elsewhere",
                differs.join(" and "),
                if differs.len() == 1 { "differs" } else { "differ" }
            ),
            "keep the deployment's pair: scripts/convex-auth.sh --adopt; or replace both: scripts/convex-auth.sh --rotate (signs every user out)",
        ));
        return;
    }
    let site = site.unwrap_or_default();
    match expected_site_url(p) {
        Some(want) if want != site => out.push(Check::warn(
            "auth-env",
            format!(
                "JWT_PRIVATE_KEY, JWKS and SITE_URL are set, but SITE_URL is {site} and the frontend's URL here is {want}: sign-in redirects go to the old URL"
            ),
            "scripts/convex-auth.sh (it sets SITE_URL to the frontend's URL)",
        )),
        _ => out.push(Check::pass(
            "auth-env",
            format!("the deployment holds JWT_PRIVATE_KEY and JWKS (the pair in {KEY_DIR}/) and SITE_URL={site}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shapes() {
        let body = "A".repeat(1600);
        let good = format!("-----BEGIN PRIVATE KEY----- {body} -----END PRIVATE KEY-----");
        assert_eq!(private_key_problem(&good), None);
        let multi = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        assert!(private_key_problem(&multi).unwrap().contains("one line"));
        assert!(private_key_problem(
            "-----BEGIN RSA PRIVATE KEY----- x -----END RSA PRIVATE KEY-----"
        )
        .unwrap()
        .contains("PKCS#8"));
        assert!(
            private_key_problem("-----BEGIN PRIVATE KEY----- AAAA -----END PRIVATE KEY-----")
                .unwrap()
                .contains("too short")
        );
        assert_eq!(
            jwks_problem(r#"{"keys":[{"use":"sig","kty":"RSA","n":"abc","e":"AQAB"}]}"#),
            None
        );
        assert!(jwks_problem(r#"{"keys":[]}"#).is_some());
        assert!(jwks_problem("not json").is_some());
        assert!(jwks_problem(r#"{"keys":[{"kty":"EC","x":"1","y":"2"}]}"#).is_some());
    }
}
