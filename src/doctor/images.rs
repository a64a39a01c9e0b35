//! docker-compose.yml: backend and dashboard images pinned by SHA, and on
//! compatible releases.

use serde_json::Value;

use super::{Check, Loaded, Project, COMPOSE_FILE};
use crate::answers::parse_image_ref;
use crate::pins;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub image: String,
}

/// What the checks need from the compose file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compose {
    pub backend: Option<Service>,
    pub dashboard: Option<Service>,
    /// Variable names in the backend service's `environment`.
    pub backend_env: Vec<String>,
}

impl Compose {
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_saphyr::from_str(text)
            .map_err(|e| format!("{COMPOSE_FILE} is not valid YAML: {e}"))?;
        let services = value
            .get("services")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{COMPOSE_FILE} has no `services:`"))?;
        let find = |name: &str, image_part: &str| {
            let (key, svc) = services.get_key_value(name).or_else(|| {
                services.iter().find(|(_, s)| {
                    s.get("image")
                        .and_then(Value::as_str)
                        .is_some_and(|i| i.contains(image_part))
                })
            })?;
            Some((
                Service {
                    name: key.clone(),
                    image: svc
                        .get("image")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                },
                svc,
            ))
        };
        let backend = find("backend", "convex-backend");
        let backend_env = match backend.as_ref().and_then(|(_, s)| s.get("environment")) {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.split('=').next().unwrap_or(s).trim().to_owned())
                .collect(),
            _ => Vec::new(),
        };
        Ok(Compose {
            backend: backend.map(|(s, _)| s),
            dashboard: find("dashboard", "convex-dashboard").map(|(s, _)| s),
            backend_env,
        })
    }

    /// Whether the compose file hands the S3 variables to the backend.
    pub fn passes_s3(&self) -> bool {
        self.backend_env.iter().any(|k| k == "AWS_REGION")
    }
}

/// How an image is pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    Sha(String),
    Digest,
    /// Why it is not pinned.
    Moving(String),
    Variable,
}

pub fn classify(image: &str) -> Pin {
    if image.contains('$') {
        return Pin::Variable;
    }
    let Some((_, tag, digest)) = parse_image_ref(image) else {
        return Pin::Moving(format!("{image:?} is not an image reference"));
    };
    if digest.is_some() {
        return Pin::Digest;
    }
    match tag {
        Some(t)
            if t.len() == 40
                && t.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) =>
        {
            Pin::Sha(t)
        }
        Some(t) => Pin::Moving(format!("{image} uses the moving tag :{t}")),
        None => Pin::Moving(format!("{image} has no tag (that means :latest)")),
    }
}

pub fn check(p: &Project, out: &mut Vec<Check>) {
    let compose = match &p.compose {
        Loaded::Ok(c) => c,
        Loaded::Missing => {
            out.push(Check::fail(
                "images-pinned",
                format!("no {COMPOSE_FILE}"),
                format!("re-render it with {}", p.rerender()),
            ));
            return;
        }
        Loaded::Unreadable(e) => {
            out.push(Check::fail(
                "images-pinned",
                format!("cannot read {COMPOSE_FILE}: {e}"),
                super::repair_fix(
                    &p.dir,
                    COMPOSE_FILE,
                    format!("repair {COMPOSE_FILE}: `docker compose config` names the broken line, `git diff {COMPOSE_FILE}` shows your edits"),
                ),
            ));
            return;
        }
    };
    let data = pins::data();
    let (default_backend, default_dashboard) = match &p.state {
        Some(s) => (s.pins.backend_image.clone(), s.pins.dashboard_image.clone()),
        None => {
            let d = data.default_pins();
            (d.backend_image, d.dashboard_image)
        }
    };
    let services = [
        ("backend", &compose.backend, default_backend),
        ("dashboard", &compose.dashboard, default_dashboard),
    ];
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let mut variables = Vec::new();
    let mut shas = Vec::new();
    for (kind, service, suggestion) in &services {
        let Some(service) = service else {
            if *kind == "backend" {
                problems.push(format!("no {kind} service"));
                fixes.push(format!(
                    "restore the {kind} service ({} re-renders {COMPOSE_FILE})",
                    p.rerender()
                ));
            }
            shas.push(None);
            continue;
        };
        match classify(&service.image) {
            Pin::Sha(sha) => shas.push(Some(sha)),
            Pin::Digest => shas.push(None),
            Pin::Variable => {
                variables.push(format!("{} image {:?}", service.name, service.image));
                shas.push(None);
            }
            Pin::Moving(why) => {
                problems.push(format!("{}: {why}", service.name));
                let pinned = matches!(classify(suggestion), Pin::Sha(_) | Pin::Digest);
                fixes.push(if pinned {
                    format!("image: {suggestion} for {}", service.name)
                } else {
                    format!("pin {} by commit SHA", service.name)
                });
                shas.push(None);
            }
        }
    }
    out.push(if !problems.is_empty() {
        Check::fail(
            "images-pinned",
            format!(
                "{}; a moving tag changes the backend under a pinned CLI",
                problems.join("; ")
            ),
            format!(
                "pin by commit SHA in {COMPOSE_FILE}: {} (or `convex-scaffold upgrade --release <date>`, see `convex-scaffold pins`)",
                fixes.join(", ")
            ),
        )
    } else if !variables.is_empty() {
        Check::warn(
            "images-pinned",
            format!("{} set through a variable: cannot check the pin", variables.join(", ")),
            format!("write the pinned image into {COMPOSE_FILE}"),
        )
    } else {
        Check::pass("images-pinned", "backend and dashboard images are pinned by SHA or digest")
    });

    let (Some(Some(backend)), Some(Some(dashboard))) = (shas.first(), shas.get(1)) else {
        out.push(Check::warn(
            "images-release",
            "not checked: backend and dashboard are not both pinned by a commit SHA tag",
            "pin both to a row of `convex-scaffold pins`",
        ));
        return;
    };
    let row = data.release_with_backend(backend);
    let dashboard_row = data.release_with_dashboard(dashboard);
    out.push(match (row, dashboard_row) {
        (Some(row), _) if &row.dashboard == dashboard => Check::pass(
            "images-release",
            format!("backend and dashboard are the {} release", row.date),
        ),
        (Some(row), Some(other)) => Check::fail(
            "images-release",
            format!(
                "dashboard {dashboard} belongs to the {} release, backend {backend} to the {} release (which ships dashboard {})",
                other.date, row.date, row.dashboard
            ),
            format!(
                "`convex-scaffold upgrade --dashboard-image {}` (or `--release {}`)",
                data.dashboard_image(&row.dashboard),
                row.date
            ),
        ),
        _ if backend == dashboard => Check::pass(
            "images-release",
            format!("backend and dashboard are built from the same commit {backend}"),
        ),
        _ => Check::warn(
            "images-release",
            format!(
                "backend {backend} and dashboard {dashboard} are not a known pairing (not one row of the release table, not the same commit)"
            ),
            "pin both from one row of `convex-scaffold pins`: `convex-scaffold upgrade --release <date>`",
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_pins() {
        let sha = "c1a7ac393888d743e704de56cf569a154b4526d4";
        assert_eq!(
            classify(&format!("ghcr.io/get-convex/convex-backend:{sha}")),
            Pin::Sha(sha.into())
        );
        assert!(matches!(
            classify("ghcr.io/get-convex/convex-backend:latest"),
            Pin::Moving(m) if m.contains(":latest")
        ));
        assert!(matches!(
            classify("ghcr.io/get-convex/convex-backend"),
            Pin::Moving(_)
        ));
        assert_eq!(
            classify(&format!("ghcr.io/x/y@sha256:{}", "a".repeat(64))),
            Pin::Digest
        );
        assert_eq!(classify("${BACKEND_IMAGE}"), Pin::Variable);
    }

    #[test]
    fn parses_services_environment_lists_and_anchors() {
        let c = Compose::parse(
            "x-env: &env\n  AWS_REGION: ${AWS_REGION:-}\nservices:\n  api:\n    image: ghcr.io/get-convex/convex-backend:abc\n    environment:\n      <<: *env\n      PORT: 1\n  ui:\n    image: ghcr.io/get-convex/convex-dashboard:abc\n",
        )
        .unwrap();
        assert_eq!(c.backend.as_ref().unwrap().name, "api");
        assert_eq!(c.dashboard.as_ref().unwrap().name, "ui");
        assert!(c.passes_s3(), "{:?}", c.backend_env);
        let c = Compose::parse(
            "services:\n  backend:\n    image: b\n    environment:\n      - DO_NOT_REQUIRE_SSL=true\n      - RUST_LOG\n",
        )
        .unwrap();
        assert_eq!(c.backend_env, ["DO_NOT_REQUIRE_SSL", "RUST_LOG"]);
        assert!(c.dashboard.is_none());
        assert!(Compose::parse("services: [").is_err());
    }
}
