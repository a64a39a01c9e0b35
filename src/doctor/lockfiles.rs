//! Reads the `convex` version a lockfile holds: package-lock.json (v1–v3,
//! serde_json), pnpm-lock.yaml (v5, v6, v9) and yarn.lock (v1 and berry)
//! with targeted line parsers (lockfiles can be far larger than a YAML
//! parser's safety budget), and bun.lock (JSONC).

use serde_json::Value;

/// What a lockfile says about `convex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockRead {
    /// The version(s) the project's `convex` resolves to.
    Versions(Vec<String>),
    /// The lockfile does not mention convex.
    NotListed,
    /// The file could not be parsed.
    Unreadable(String),
}

fn from_versions(mut versions: Vec<String>) -> LockRead {
    versions.sort();
    versions.dedup();
    if versions.is_empty() {
        LockRead::NotListed
    } else {
        LockRead::Versions(versions)
    }
}

/// package-lock.json / npm-shrinkwrap.json: `packages["node_modules/convex"]`
/// (lockfileVersion 2 and 3) or `dependencies.convex` (version 1).
pub fn package_lock(text: &str) -> LockRead {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return LockRead::Unreadable(format!("not valid JSON ({e})")),
    };
    let version = value
        .pointer("/packages/node_modules~1convex/version")
        .or_else(|| value.pointer("/dependencies/convex/version"))
        .and_then(Value::as_str);
    from_versions(version.map(str::to_owned).into_iter().collect())
}

/// One `key: value` line of a block-style YAML mapping.
struct YamlLine<'a> {
    indent: usize,
    key: &'a str,
    value: &'a str,
}

fn yaml_line(line: &str) -> Option<YamlLine<'_>> {
    let content = line.trim_start_matches(' ');
    let indent = line.len() - content.len();
    let content = content.trim_end();
    if content.is_empty() || content.starts_with('#') || content.starts_with('-') {
        return None;
    }
    let (key, value) =
        if let Some(quote) = content.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let end = content[1..].find(quote)? + 1;
            let key = &content[1..end];
            let rest = content[end + 1..].strip_prefix(':')?;
            (key, rest.trim())
        } else if let Some(key) = content.strip_suffix(':') {
            (key, "")
        } else {
            let (key, value) = content.split_once(": ")?;
            (key, value.trim())
        };
    Some(YamlLine { indent, key, value })
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
        .unwrap_or(s)
}

const DEP_SECTIONS: &[&str] = &["dependencies", "devDependencies", "optionalDependencies"];

/// pnpm-lock.yaml: the version the root importer's `convex` resolves to.
/// v9: `importers: .: dependencies: convex: {specifier, version}`;
/// v6: top-level `dependencies: convex: {specifier, version}`;
/// v5: top-level `dependencies: convex: 1.2.3_peer@1`.
/// Peer suffixes (`(react@18.2.0)`, `_react@18.2.0`) are dropped.
pub fn pnpm_lock(text: &str) -> LockRead {
    if !text.contains("lockfileVersion") {
        return LockRead::Unreadable("no lockfileVersion: not a pnpm lockfile".into());
    }
    let mut stack: Vec<(usize, &str)> = Vec::new();
    let mut versions = Vec::new();
    for line in text.lines() {
        let Some(l) = yaml_line(line) else { continue };
        while stack.last().is_some_and(|(indent, _)| *indent >= l.indent) {
            stack.pop();
        }
        let path: Vec<&str> = stack.iter().map(|(_, k)| *k).chain([l.key]).collect();
        let rel: &[&str] = match path.as_slice() {
            ["importers", ".", rest @ ..] => rest,
            ["importers", ..] => &[],
            other => other,
        };
        let version = match rel {
            [section, "convex"] if DEP_SECTIONS.contains(section) && !l.value.is_empty() => {
                Some(l.value)
            }
            [section, "convex", "version"] if DEP_SECTIONS.contains(section) => Some(l.value),
            _ => None,
        };
        if let Some(v) = version {
            let v = unquote(v);
            let v = v.split('(').next().unwrap_or(v);
            let v = if v.starts_with(|c: char| c.is_ascii_digit()) {
                v.split('_').next().unwrap_or(v)
            } else {
                v
            };
            versions.push(v.to_owned());
        }
        stack.push((l.indent, l.key));
    }
    from_versions(versions)
}

/// The package name of a yarn descriptor (`convex@^1.2.3`,
/// `"convex@npm:1.2.3"`, `@scope/pkg@1.0.0`).
fn descriptor_name(descriptor: &str) -> &str {
    let d = unquote(descriptor);
    let search_from = usize::from(d.starts_with('@'));
    match d[search_from..].find('@') {
        Some(at) => &d[..search_from + at],
        None => d,
    }
}

/// yarn.lock, classic (v1) and berry (v2+): the `version` of the entries
/// named convex. When an entry's descriptors include the package.json
/// `spec` (`convex@1.2.3`, `convex@npm:1.2.3`), only those entries count.
pub fn yarn_lock(text: &str, spec: &str) -> LockRead {
    let wanted = [format!("convex@{spec}"), format!("convex@npm:{spec}")];
    let mut entries: Vec<(bool, String)> = Vec::new();
    let mut current: Option<bool> = None;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            current = None;
            if let Some(header) = line.strip_suffix(':') {
                let descriptors: Vec<&str> = header.split(", ").map(unquote).collect();
                if descriptors.iter().any(|d| descriptor_name(d) == "convex") {
                    current = Some(descriptors.iter().any(|d| wanted.iter().any(|w| w == d)));
                }
            }
            continue;
        }
        let Some(matches_spec) = current else {
            continue;
        };
        let Some(field) = line.strip_prefix("  ") else {
            continue;
        };
        if field.starts_with(' ') {
            continue;
        }
        let value = field
            .strip_prefix("version ")
            .or_else(|| field.strip_prefix("version: "));
        if let Some(v) = value {
            entries.push((matches_spec, unquote(v).to_owned()));
        }
    }
    let exact: Vec<String> = entries
        .iter()
        .filter(|(m, _)| *m)
        .map(|(_, v)| v.clone())
        .collect();
    if exact.is_empty() {
        from_versions(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        from_versions(exact)
    }
}

/// bun.lock (text, JSONC with trailing commas): `packages.convex[0]` is
/// `"convex@1.2.3"`.
pub fn bun_lock(text: &str) -> LockRead {
    let value: Value = match serde_json::from_str(&jsonc_to_json(text)) {
        Ok(v) => v,
        Err(e) => return LockRead::Unreadable(format!("not valid JSONC ({e})")),
    };
    let Some(entry) = value.pointer("/packages/convex") else {
        return LockRead::NotListed;
    };
    match entry
        .get(0)
        .and_then(Value::as_str)
        .and_then(|s| s.rsplit_once('@'))
    {
        Some((_, version)) => LockRead::Versions(vec![version.to_owned()]),
        None => LockRead::Unreadable("packages.convex is not [\"convex@<version>\", ...]".into()),
    }
}

/// Drops `//` and `/* */` comments and trailing commas outside strings.
pub fn jsonc_to_json(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut no_comments = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            no_comments.push(c);
            if c == '\\' && i + 1 < chars.len() {
                no_comments.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match (c, chars.get(i + 1)) {
            ('"', _) => {
                in_string = true;
                no_comments.push(c);
                i += 1;
            }
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            _ => {
                no_comments.push(c);
                i += 1;
            }
        }
    }
    let chars: Vec<char> = no_comments.chars().collect();
    let mut out = String::with_capacity(chars.len());
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if !matches!(next, Some('}') | Some(']')) {
                out.push(c);
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> LockRead {
        LockRead::Versions(vec![s.to_owned()])
    }

    const NPM_V3: &str = r#"{
  "name": "demo",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "demo",
      "dependencies": {
        "convex": "1.24.8"
      },
      "engines": {
        "node": ">=18"
      }
    },
    "node_modules/convex": {
      "version": "1.24.8",
      "resolved": "https://registry.npmjs.org/convex/-/convex-1.24.8.tgz",
      "integrity": "sha512-AAAA",
      "license": "Apache-2.0",
      "dependencies": {
        "esbuild": "0.25.4",
        "prettier": "^3.0.0"
      },
      "bin": {
        "convex": "bin/main.js"
      },
      "engines": {
        "node": ">=18.0.0",
        "npm": ">=7.0.0"
      }
    },
    "node_modules/esbuild": {
      "version": "0.25.4",
      "hasInstallScript": true
    }
  }
}
"#;

    const NPM_V1: &str = r#"{
  "name": "demo",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "convex": {
      "version": "1.25.0",
      "resolved": "https://registry.npmjs.org/convex/-/convex-1.25.0.tgz",
      "integrity": "sha512-AAAA",
      "requires": {
        "esbuild": "0.25.4"
      }
    }
  }
}
"#;

    #[test]
    fn package_lock_v1_to_v3() {
        assert_eq!(package_lock(NPM_V3), v("1.24.8"));
        assert_eq!(package_lock(NPM_V1), v("1.25.0"));
        assert_eq!(
            package_lock(r#"{"lockfileVersion":3,"packages":{"":{}}}"#),
            LockRead::NotListed
        );
        assert!(matches!(package_lock("{"), LockRead::Unreadable(_)));
    }

    const PNPM_V9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

overrides:
  convex: 1.24.8

importers:

  .:
    dependencies:
      convex:
        specifier: 1.24.8
        version: 1.24.8(react@19.1.0)
      react:
        specifier: ^19.1.0
        version: 19.1.0
    devDependencies:
      typescript:
        specifier: ^5.8.3
        version: 5.8.3

  packages/other:
    dependencies:
      convex:
        specifier: 1.20.0
        version: 1.20.0

packages:

  '@esbuild/linux-x64@0.25.4':
    resolution: {integrity: sha512-AAAA}
    engines: {node: '>=18'}
    cpu: [x64]
    os: [linux]

  convex@1.24.8:
    resolution: {integrity: sha512-BBBB}
    engines: {node: '>=18.0.0', npm: '>=7.0.0'}
    hasBin: true
    peerDependencies:
      '@auth0/auth0-react': ^2.0.1
      react: ^18.0.0 || ^19.0.0-0 || ^19.0.0
    peerDependenciesMeta:
      react:
        optional: true

snapshots:

  convex@1.24.8(react@19.1.0):
    dependencies:
      esbuild: 0.25.4
      jwt-decode: 4.0.0
      prettier: 3.5.3
    optionalDependencies:
      react: 19.1.0
";

    const PNPM_V6: &str = "lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  convex:
    specifier: 1.24.8
    version: 1.25.4

packages:

  /convex@1.25.4:
    resolution: {integrity: sha512-CCCC}
    engines: {node: '>=18.0.0', npm: '>=7.0.0'}
    hasBin: true
    dependencies:
      esbuild: 0.25.4
    dev: false
";

    const PNPM_V5: &str = "lockfileVersion: 5.4

specifiers:
  convex: 1.24.8

devDependencies:
  convex: 1.24.8_react@18.2.0

packages:

  /convex/1.24.8_react@18.2.0:
    resolution: {integrity: sha512-DDDD}
    engines: {node: '>=16.15.1', npm: '>=7.0.0'}
    hasBin: true
    dev: true
";

    #[test]
    fn pnpm_v5_v6_v9() {
        assert_eq!(pnpm_lock(PNPM_V9), v("1.24.8"));
        assert_eq!(pnpm_lock(PNPM_V6), v("1.25.4"));
        assert_eq!(pnpm_lock(PNPM_V5), v("1.24.8"));
        assert_eq!(
            pnpm_lock("lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      react:\n        specifier: 19.1.0\n        version: 19.1.0\n"),
            LockRead::NotListed
        );
        assert!(matches!(
            pnpm_lock("hello: world\n"),
            LockRead::Unreadable(_)
        ));
    }

    const YARN_V1: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@esbuild/linux-x64@0.25.4":
  version "0.25.4"
  resolved "https://registry.yarnpkg.com/@esbuild/linux-x64/-/linux-x64-0.25.4.tgz#AAAA"
  integrity sha512-AAAA

convex@1.24.8:
  version "1.26.1"
  resolved "https://registry.yarnpkg.com/convex/-/convex-1.26.1.tgz#BBBB"
  integrity sha512-BBBB
  dependencies:
    esbuild "0.25.4"
    prettier "^3.0.0"

convex@^1.20.0:
  version "1.20.0"
  resolved "https://registry.yarnpkg.com/convex/-/convex-1.20.0.tgz#CCCC"

esbuild@0.25.4:
  version "0.25.4"
"#;

    const YARN_BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"convex@npm:1.24.8":
  version: 1.24.8
  resolution: "convex@npm:1.24.8"
  dependencies:
    esbuild: "npm:0.25.4"
    prettier: "npm:^3.0.0"
  peerDependencies:
    react: ^18.0.0 || ^19.0.0-0 || ^19.0.0
  bin:
    convex: bin/main.js
  checksum: 10c0/aaaa
  languageName: node
  linkType: hard

"demo@workspace:.":
  version: 0.0.0-use.local
  resolution: "demo@workspace:."
  dependencies:
    convex: "npm:1.24.8"
  languageName: unknown
  linkType: soft
"#;

    #[test]
    fn yarn_classic_and_berry() {
        assert_eq!(yarn_lock(YARN_V1, "1.24.8"), v("1.26.1"));
        assert_eq!(
            yarn_lock(YARN_V1, "1.30.0"),
            LockRead::Versions(vec!["1.20.0".into(), "1.26.1".into()])
        );
        assert_eq!(yarn_lock(YARN_BERRY, "1.24.8"), v("1.24.8"));
        assert_eq!(
            yarn_lock(&YARN_BERRY.replace("1.24.8", "1.25.0"), "1.24.8"),
            v("1.25.0")
        );
        assert_eq!(
            yarn_lock(
                "# yarn lockfile v1\n\nesbuild@0.25.4:\n  version \"0.25.4\"\n",
                "1.24.8"
            ),
            LockRead::NotListed
        );
        assert_eq!(descriptor_name("@scope/convex@1.0.0"), "@scope/convex");
        assert_eq!(descriptor_name("\"convex@npm:1.2.3\""), "convex");
    }

    const BUN_LOCK: &str = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "demo",
      "dependencies": {
        "convex": "1.24.8",
      },
    },
  },
  "overrides": {
    "convex": "1.24.8",
  },
  // a comment, and a string with // and , ] inside
  "packages": {
    "convex": ["convex@1.24.8", "", { "dependencies": { "esbuild": "0.25.4", "prettier": "^3.0.0" }, "peerDependencies": { "react": "^18.0.0 || ^19.0.0-0 || ^19.0.0" }, "optionalPeers": ["react"], "bin": { "convex": "bin/main.js" } }, "sha512-AAAA"],

    "esbuild": ["esbuild@0.25.4", "", { "bin": { "esbuild": "bin/esbuild" } }, "sha512-BBBB"],
    "weird": ["weird@1.0.0", "https://x.example/a,]//b", {}, "sha512-CCCC"],
  }
}
"#;

    #[test]
    fn bun_text_lockfile() {
        assert_eq!(bun_lock(BUN_LOCK), v("1.24.8"));
        assert_eq!(
            bun_lock(&BUN_LOCK.replace("\"convex@1.24.8\"", "\"convex@1.26.1\"")),
            v("1.26.1")
        );
        assert_eq!(bun_lock("{\"packages\": {},}"), LockRead::NotListed);
        assert!(matches!(bun_lock("\u{0}\u{1}bun"), LockRead::Unreadable(_)));
        let json: Value = serde_json::from_str(&jsonc_to_json(BUN_LOCK)).unwrap();
        assert_eq!(json["packages"]["weird"][1], "https://x.example/a,]//b");
    }
}
