//! URLs: `CONVEX_SELF_HOSTED_URL` and the frontend's URL agree with the
//! backend's `CONVEX_CLOUD_ORIGIN`, with no path prefix (the convex CLI
//! drops it) and no trailing slash; `CONVEX_DEPLOYMENT` is not set beside
//! them.

use super::{Check, Loaded, Project, Source, Var, ENV_DOCKER, ENV_LOCAL};

/// The parts of an http(s) URL the checks compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// Everything after the authority (path, query, fragment); "" for none.
    pub path: String,
}

impl Url {
    /// `scheme://host[:port]`, the default port left out.
    pub fn origin(&self) -> String {
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }

    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }
}

/// The URL with any `user:password@` replaced by `***@`, for messages.
pub fn redact(text: &str) -> String {
    if let Some((scheme, rest)) = text.split_once("://") {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            return format!("{scheme}://***@{}", &rest[at + 1..]);
        }
    }
    text.to_owned()
}

pub fn parse(text: &str) -> Result<Url, String> {
    let shown = redact(text.trim());
    let text = text.trim();
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("{shown:?} has no http:// or https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(format!("{shown:?} is not an http:// or https:// URL")),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{shown:?} has an unclosed [IPv6] host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{shown:?} has no host"));
    }
    let port = match port {
        Some(p) => p
            .parse()
            .map_err(|_| format!("{shown:?} has a bad port {p:?}"))?,
        None => default_port,
    };
    Ok(Url {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        path: rest[end..].to_owned(),
    })
}

/// What is wrong with a URL's shape.
fn shape_problems(text: &str) -> (Option<Url>, Vec<String>) {
    let url = match parse(text) {
        Ok(u) => u,
        Err(e) => return (None, vec![e]),
    };
    let mut problems = Vec::new();
    if url.path == "/" {
        problems.push("has a trailing slash".to_owned());
    } else if !url.path.is_empty() {
        problems.push(format!(
            "has a path prefix {:?}, which the convex CLI drops (it builds new URL(\"/api/...\", url))",
            url.path
        ));
    }
    (Some(url), problems)
}

fn where_to_set(var: &Var, key: &str, value: &str) -> String {
    match var.source {
        Source::Environment => {
            format!("export {key}={value} (the environment wins over {ENV_LOCAL})")
        }
        Source::File(f) => format!("set {key}={value} in {f}"),
        Source::Default => format!("set {key}={value}"),
    }
}

pub fn check(p: &Project, out: &mut Vec<Check>) {
    let origin = p.docker_var("CONVEX_CLOUD_ORIGIN").unwrap_or(Var {
        value: "http://127.0.0.1:3210".into(),
        source: Source::Default,
    });
    let (origin_url, problems) = shape_problems(&origin.value);
    let expected = origin_url
        .as_ref()
        .map(Url::origin)
        .unwrap_or_else(|| origin.value.clone());
    out.push(if problems.is_empty() {
        Check::pass(
            "url-cloud-origin",
            format!(
                "CONVEX_CLOUD_ORIGIN is {} ({})",
                redact(&origin.value),
                origin.source.describe()
            ),
        )
    } else {
        let fixed = origin_url.as_ref().map(Url::origin);
        let check = Check::fail(
            "url-cloud-origin",
            format!(
                "CONVEX_CLOUD_ORIGIN {} ({}) {}",
                redact(&origin.value),
                origin.source.describe(),
                problems.join(" and ")
            ),
            match &fixed {
                Some(f) => where_to_set(&origin, "CONVEX_CLOUD_ORIGIN", f),
                None => format!(
                    "set CONVEX_CLOUD_ORIGIN in {ENV_DOCKER} to the URL of port 3210, e.g. http://127.0.0.1:3210"
                ),
            },
        );
        // Without a scheme the backend refuses to start.
        if fixed.is_none() {
            check.issue("backend-origin-invalid")
        } else {
            check
        }
    });

    let frontend_var = match &p.state {
        Some(s) => s.answers.frontend.url_var(),
        None => ["VITE_CONVEX_URL", "NEXT_PUBLIC_CONVEX_URL"]
            .into_iter()
            .find(|k| p.local_var(k).is_some()),
    };
    let mut vars = vec![(
        "url-self-hosted",
        "CONVEX_SELF_HOSTED_URL",
        "the convex CLI",
    )];
    if let Some(v) = frontend_var {
        vars.push(("url-frontend", v, "the frontend"));
    }
    for (id, key, who) in vars {
        let Some(var) = p.local_var(key) else {
            out.push(Check::warn(
                id,
                format!("{key} is not set ({ENV_LOCAL} or the environment): {who} does not know the backend"),
                "run scripts/convex-up.sh (it writes .env.local)",
            ));
            continue;
        };
        let (url, mut problems) = shape_problems(&var.value);
        if let (Some(url), Some(origin_url)) = (&url, &origin_url) {
            if !url.same_origin(origin_url) {
                problems.push(format!(
                    "points at {} but CONVEX_CLOUD_ORIGIN is {}",
                    url.origin(),
                    redact(&origin.value)
                ));
            }
        }
        out.push(if problems.is_empty() {
            Check::pass(
                id,
                format!(
                    "{key} is {} ({}), the backend's CONVEX_CLOUD_ORIGIN",
                    redact(&var.value),
                    var.source.describe()
                ),
            )
        } else {
            Check::fail(
                id,
                format!(
                    "{key} {} ({}) {}",
                    redact(&var.value),
                    var.source.describe(),
                    problems.join("; ")
                ),
                where_to_set(&var, key, &expected),
            )
        });
    }

    let mut found = Vec::new();
    let mut fixes = Vec::new();
    if p.env
        .get("CONVEX_DEPLOYMENT")
        .is_some_and(|v| !v.is_empty())
    {
        found.push("in the environment".to_owned());
        fixes.push("unset CONVEX_DEPLOYMENT".to_owned());
    }
    for (name, file) in [(ENV_LOCAL, &p.env_local), (".env", &p.env_file)] {
        if let Loaded::Ok(env) = file {
            if env.non_empty("CONVEX_DEPLOYMENT").is_some() {
                found.push(format!("in {name}"));
                fixes.push(format!("delete the CONVEX_DEPLOYMENT line from {name}"));
            }
        }
    }
    out.push(if found.is_empty() {
        Check::pass("convex-deployment", "CONVEX_DEPLOYMENT is not set")
    } else {
        Check::fail(
            "convex-deployment",
            format!(
                "CONVEX_DEPLOYMENT is set {}: beside CONVEX_SELF_HOSTED_URL it points the convex CLI at Convex cloud (a hard error)",
                found.join(" and ")
            ),
            fixes.join("; "),
        )
        .issue("convex-deployment-conflict")
    });
}

/// A host port of `.env.docker` (PORT, SITE_PROXY_PORT, DASHBOARD_PORT),
/// or its compose default.
fn published_port(p: &Project, key: &str, default: u16) -> u16 {
    p.env_docker
        .ok()
        .and_then(|e| e.non_empty(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `ports`: every loopback origin names the port `.env.docker` publishes
/// (two projects side by side otherwise talk to each other's backend), and
/// the devcontainer forwards those ports.
pub fn check_ports(p: &Project, out: &mut Vec<Check>) {
    let api = published_port(p, "PORT", 3210);
    let site = published_port(p, "SITE_PROXY_PORT", 3211);
    let dashboard = published_port(p, "DASHBOARD_PORT", 6791);
    let mut problems = Vec::new();
    for (key, port) in [("CONVEX_CLOUD_ORIGIN", api), ("CONVEX_SITE_ORIGIN", site)] {
        let Some(var) = p.docker_var(key) else {
            continue;
        };
        let Ok(url) = parse(&var.value) else { continue };
        if ["127.0.0.1", "localhost"].contains(&url.host.as_str()) && url.port != port {
            problems.push(format!(
                "{key} is {} ({}) but the backend is published on port {port}",
                redact(&var.value),
                var.source.describe()
            ));
        }
    }
    let origin_problems = problems.len();
    let devcontainer = p.dir.join(".devcontainer/devcontainer.json");
    if let Ok(text) = std::fs::read_to_string(&devcontainer) {
        let forwarded: Vec<u64> = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|doc| doc.get("forwardPorts").cloned())
            .and_then(|ports| ports.as_array().cloned())
            .map(|ports| ports.iter().filter_map(serde_json::Value::as_u64).collect())
            .unwrap_or_default();
        let missing: Vec<String> = [api, site, dashboard]
            .iter()
            .filter(|port| !forwarded.contains(&u64::from(**port)))
            .map(u16::to_string)
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                ".devcontainer/devcontainer.json does not forward port(s) {} that {ENV_DOCKER} publishes",
                missing.join(", ")
            ));
        }
    }
    let devcontainer_problems = problems.split_off(origin_problems);
    out.push(if !problems.is_empty() {
        problems.extend(devcontainer_problems);
        Check::fail(
            "ports",
            problems.join("; "),
            format!("run scripts/convex-up.sh (it moves loopback URLs to the ports of {ENV_DOCKER}); list the ports in forwardPorts of .devcontainer/devcontainer.json"),
        )
    } else if !devcontainer_problems.is_empty() {
        Check::warn(
            "ports",
            devcontainer_problems.join("; "),
            "list the ports in forwardPorts of .devcontainer/devcontainer.json",
        )
    } else {
        Check::pass(
            "ports",
            format!("API {api}, HTTP actions {site} and dashboard {dashboard}: every origin and forwarded port agrees with {ENV_DOCKER}"),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = parse("HTTP://Example.com:3210/convex?x").unwrap();
        assert_eq!(
            u,
            Url {
                scheme: "http".into(),
                host: "example.com".into(),
                port: 3210,
                path: "/convex?x".into()
            }
        );
        assert_eq!(parse("https://a.example").unwrap().port, 443);
        assert_eq!(
            parse("https://a.example:443").unwrap().origin(),
            "https://a.example"
        );
        assert_eq!(parse("http://[::1]:3210").unwrap().host, "::1");
        assert_eq!(parse("http://u:p@h:1").unwrap().host, "h");
        assert!(parse("127.0.0.1:3210").is_err());
        assert!(!parse("ftp://user:s3cret@h").unwrap_err().contains("s3cret"));
        assert_eq!(
            redact("https://u:p@h.example/x@y"),
            "https://***@h.example/x@y"
        );
        assert_eq!(redact("http://h:1"), "http://h:1");
        assert!(parse("ftp://h").is_err());
        assert!(parse("http://:80").is_err());
        assert!(parse("http://h:x").is_err());
    }

    #[test]
    fn shapes() {
        assert!(shape_problems("http://127.0.0.1:3210").1.is_empty());
        assert_eq!(
            shape_problems("http://127.0.0.1:3210/").1,
            ["has a trailing slash"]
        );
        assert!(shape_problems("https://h/convex").1[0].contains("path prefix"));
    }
}
