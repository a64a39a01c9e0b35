//! `.devcontainer/devcontainer.json`, built with serde_json.

use serde_json::{json, Map, Value};

use crate::answers::{Answers, PackageManager};

pub fn render(answers: &Answers, node_major: u32) -> String {
    let node = node_major.max(22);
    let mut ports: Vec<u16> = vec![3210, 3211, 6791];
    let mut attributes = Map::new();
    attributes.insert(
        "3210".into(),
        json!({ "label": "Convex API", "onAutoForward": "silent" }),
    );
    attributes.insert(
        "3211".into(),
        json!({ "label": "Convex HTTP actions", "onAutoForward": "silent" }),
    );
    attributes.insert(
        "6791".into(),
        json!({ "label": "Convex dashboard", "onAutoForward": "notify" }),
    );
    if let Some(port) = answers.frontend.dev_port() {
        ports.push(port);
        attributes.insert(
            port.to_string(),
            json!({ "label": "Frontend", "onAutoForward": "openBrowser" }),
        );
    }
    let install = match answers.package_manager {
        PackageManager::Pnpm => "sudo corepack enable && pnpm install",
        PackageManager::Npm => "npm install",
        PackageManager::Yarn => "yarn install",
        PackageManager::Bun => "sudo npm install -g bun && bun install",
    };
    let value = json!({
        "name": format!("{} (self-hosted Convex)", answers.name),
        "image": format!("mcr.microsoft.com/devcontainers/javascript-node:1-{node}-bookworm"),
        "features": {
            "ghcr.io/devcontainers/features/docker-in-docker:2": {}
        },
        "forwardPorts": ports,
        "portsAttributes": Value::Object(attributes),
        "postCreateCommand": install,
        "postStartCommand": "bash scripts/convex-up.sh",
        // Coder's agent discovers .devcontainer/ in the project and offers to
        // start it: a second Convex stack inside the workspace. `ignore` hides
        // it from Coder; local VS Code still uses the rest of this file.
        // (coder.com/docs/user-guides/devcontainers/customizing-dev-containers)
        "customizations": {
            "coder": {
                "ignore": true
            },
            "vscode": {
                "extensions": ["dbaeumer.vscode-eslint"]
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&value).expect("JSON serialises");
    text.push('\n');
    text
}
