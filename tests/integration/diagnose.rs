//! Integration tests of the `diagnose` engine through its public API only.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::{Duration, Instant};

use convex_scaffold::diagnose::{by_id, catalogue, render_json, render_text, scan, Finding};
use proptest::prelude::*;

fn scan_bytes(input: &[u8]) -> Vec<Finding> {
    scan(input).expect("reading from a slice cannot fail")
}

fn ids(findings: &[Finding]) -> BTreeSet<&'static str> {
    findings.iter().map(|f| f.issue.id.as_str()).collect()
}

fn find<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.issue.id == id)
        .unwrap_or_else(|| panic!("{id} not found in {:?}", ids(findings)))
}

/// `input` must be recognised as exactly the issues `want`; the first one's
/// first match must be on `line_number` and its line must contain `shows`.
fn expect(input: &str, want: &[&str], line_number: u64, shows: &str) {
    let findings = scan_bytes(input.as_bytes());
    let got = ids(&findings);
    let want_set: BTreeSet<&str> = want.iter().copied().collect();
    assert_eq!(got, want_set, "input:\n{input}");
    let first = find(&findings, want[0]);
    assert_eq!(first.line_number, line_number, "input:\n{input}");
    assert!(
        first.line.contains(shows),
        "line {:?} lacks {shows:?}",
        first.line
    );
    for f in &findings {
        assert!(!f.line.contains('\x1b'), "escape left in {:?}", f.line);
        assert!(!f.line.contains('\r'), "CR left in {:?}", f.line);
        for remnant in ["[31m", "[39m", "[1m", "[2m", "[22m", "[32m"] {
            assert!(!f.line.contains(remnant), "escape remnant in {:?}", f.line);
        }
    }
}

const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[39m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const OFF: &str = "\x1b[22m";

// ---------------------------------------------------------------- entries --

#[test]
fn cli_1_26_reading_length_seed_message_with_colours_and_crlf() {
    let input = format!(
        "{DIM}- Bundling component schemas and implementations...{OFF}\r\n\
         \x1b[32m✔\x1b[39m Added table indexes:\r\n  [+] messages.by_channel   [\"channel\",\"_creationTime\"]\r\n\
         {RED}✖{RESET} {BOLD}Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length'){OFF}\r\n"
    );
    expect(
        &input,
        &["cli-1-26-reading-length"],
        4,
        "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')",
    );
}

#[test]
fn colour_codes_inside_the_message() {
    // chalk can colour part of a message; the escapes must not break the match.
    expect(
        &format!("{RED}✖{RESET} Unexpected Error: {BOLD}TypeError{OFF}: Cannot read properties of {RED}undefined{RESET} (reading 'length')\n"),
        &["cli-1-26-reading-length"],
        1,
        "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')",
    );
}

/// The crash is recognised by the CLI's own wrapper (`Unexpected Error:`),
/// also when a terminal or an e-mail wrapped the line at 80 columns.
#[test]
fn cli_1_26_reading_length_wrapped_cli_line() {
    for input in [
        "Unexpected Error: TypeError: Cannot read properties of undefined (reading\n'length')\n",
        "[convex] ERROR: Unexpected Error: TypeError: Cannot read properties of undefined\n(reading 'length')\n",
        "12:34:56 [convex] ERROR: Unexpected Error: TypeError: Cannot read properties of\nundefined (reading 'length')\n",
    ] {
        expect(input, &["cli-1-26-reading-length"], 1, "Unexpected Error:");
    }
}

/// Any JavaScript bug prints `Cannot read properties of undefined (reading
/// 'length')`: a React component in the browser console, a Node server's
/// stack trace. Only the CLI's `Unexpected Error:` line is the CLI bug.
#[test]
fn app_errors_reading_length_are_not_the_cli_bug() {
    for input in [
        "Uncaught TypeError: Cannot read properties of undefined (reading 'length') at App.tsx:12\n",
        "Uncaught TypeError: Cannot read properties of undefined (reading 'length')\n    at App (http://localhost:5173/src/App.tsx:12:20)\n",
        "TypeError: Cannot read properties of undefined (reading 'length')\n    at Server.<anonymous> (/app/server.js:9:20)\n",
        "Uncaught TypeError: Cannot read properties of null (reading 'foo')\n",
        "Unexpected Error: TypeError: Cannot read properties of null (reading 'foo')\n",
        "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'map')\n",
    ] {
        let findings = scan_bytes(input.as_bytes());
        assert!(
            !ids(&findings).contains("cli-1-26-reading-length"),
            "{input:?} taken for the CLI 1.26 crash"
        );
    }
}

/// The fix goes through the tool (the project pins `convex` exactly, with
/// overrides, so `npm install convex@X` fights the pin), and the pair it
/// names is the one `--release latest` really picks.
#[test]
fn cli_1_26_reading_length_fix_uses_upgrade_and_agrees_with_pins() {
    let issue = by_id("cli-1-26-reading-length").unwrap();
    let project_fix = issue.fix_for_project().join("\n");
    let latest = convex_scaffold::pins::data().latest_release();
    let pair = format!("CLI {} with the {} backend", latest.cli, latest.date);
    assert!(
        project_fix.contains("convex-scaffold upgrade --release latest")
            && project_fix.contains(&pair),
        "the project fix must name `upgrade --release latest` and {pair:?}:\n{project_fix}"
    );
    assert!(
        project_fix.contains("convex-scaffold upgrade --convex-version 1.26.2"),
        "{project_fix}"
    );
    assert!(!project_fix.contains("npm install"), "{project_fix}");
    let all = format!("{project_fix}\n{}", issue.fix.join("\n"));
    assert!(!all.contains("1.24.8"), "{all}");
    // 1.26.2 is the fixed CLI, not itself a known-bad version.
    let bad = &convex_scaffold::pins::data().known_bad;
    assert!(
        bad.iter()
            .all(|b| b.versions.iter().all(|v| v.to_string() != "1.26.2")),
        "1.26.2 is listed as known-bad"
    );
}

#[test]
fn evaluate_push_404() {
    expect(
        &format!("{RED}✖ Error fetching POST  http://127.0.0.1:3210/api/deploy2/evaluate_push 404 Not Found: http://127.0.0.1:3210/api/deploy2/evaluate_push{RESET}\n"),
        &["cli-evaluate-push-404"],
        1,
        "evaluate_push 404",
    );
}

#[test]
fn missing_field_functions() {
    expect(
        "✖ Error fetching POST  http://127.0.0.1:3210/api/deploy2/start_push 400 Bad Request: BadJsonBody: Failed to deserialize the JSON body into the target type: appDefinition: missing field `functions` at line 1 column 5120\r\n",
        &["cli-missing-field-functions"],
        1,
        "missing field `functions`",
    );
}

#[test]
fn canonical_urls_404() {
    expect(
        "✖ Error fetching GET  http://127.0.0.1:3210/api/v1/get_canonical_urls 404 Not Found: http://127.0.0.1:3210/api/v1/get_canonical_urls\n",
        &["cli-canonical-urls"],
        1,
        "get_canonical_urls",
    );
}

#[test]
fn storage_type_mismatch_one_line_and_seed_wrapped() {
    expect(
        "backend-1  | 2025-09-01T10:00:00.000Z ERROR convex_local_backend: Database was initialized with Some(S3 { s3_prefix: \"convex-self-hosted-0f6e0c7e/\" }), but backend started up with Local { dir: \"/convex/data/storage\" }\n",
        &["storage-type-mismatch"],
        1,
        "Database was initialized with Some(S3",
    );
    // The seed quotes it wrapped over two lines.
    let wrapped = "Database was initialized with Some(S3 { s3_prefix: \"convex-coder-workspace-...\" }), \r\nbut backend started up with Local { dir: \"/convex/data/storage\" }\r\n";
    let findings = scan_bytes(wrapped.as_bytes());
    assert_eq!(ids(&findings), BTreeSet::from(["storage-type-mismatch"]));
    assert_eq!(findings[0].line_number, 1);
    assert_eq!(findings[0].more_matches, 1);
}

#[test]
fn s3_prefix_instance_renamed() {
    expect(
        "backend-1  | Error: Cannot use s3 storage path convex-self-hosted-5d1e/ with instance name my-app\n",
        &["s3-prefix-instance-renamed"],
        1,
        "Cannot use s3 storage path",
    );
}

#[test]
fn s3_empty_endpoint_messages() {
    expect(
        "[convex] ERROR: S3_ENDPOINT_URL is empty in .env.docker, but docker-compose.yml passes it: the backend would take the empty value as its S3 endpoint.\n",
        &["s3-empty-endpoint"],
        1,
        "S3_ENDPOINT_URL is empty",
    );
    expect(
        "fail  s3-dns  S3_ENDPOINT_URL reaches the backend empty (docker-compose.yml passes it)\n",
        &["s3-empty-endpoint"],
        1,
        "reaches the backend empty",
    );
}

#[test]
fn s3_dns_dispatch_failure_seed_message() {
    // One line as logged, and wrapped over two lines as quoted in the seed.
    expect(
        "backend-1  | 2025-08-30T09:12:44.118Z ERROR file_storage: Failed to create multipart upload: dispatch failure: other: client error (Connect): dns error: failed to lookup address information: Name or service not known\n",
        &["s3-dns-dispatch-failure"],
        1,
        "dispatch failure",
    );
    let wrapped = "Failed to create multipart upload: dispatch failure: other: client error (Connect): \r\ndns error: failed to lookup address information: Name or service not known\r\n";
    let findings = scan_bytes(wrapped.as_bytes());
    assert_eq!(ids(&findings), BTreeSet::from(["s3-dns-dispatch-failure"]));
    assert_eq!(findings[0].more_matches, 1);
}

#[test]
fn s3_silently_off_warning() {
    expect(
        "backend-1  | Warning: Some AWS/S3 environment variables are missing. Falling back to local storage.\nbackend-1  | Missing variables: AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY\n",
        &["s3-silently-off"],
        1,
        "Some AWS/S3 environment variables are missing",
    );
    // The tolerant wording guess for newer images.
    expect(
        "WARN S3 configuration incomplete; using local storage\n",
        &["s3-silently-off"],
        1,
        "S3 configuration incomplete",
    );
}

#[test]
fn functions_not_deployed_seed_browser_line() {
    expect(
        "index-B2x9.js:12 Uncaught Error: [CONVEX Q(chat:getMessages)] [Request ID: 5d7e31edd55de47e] Server Error\n    at ConvexReactClient.queryResult (index-B2x9.js:12:3411)\n",
        &["functions-not-deployed"],
        1,
        "[CONVEX Q(chat:getMessages)]",
    );
    expect(
        "[CONVEX M(messages:send)] [Request ID: 1a2b] Server Error\nCould not find public function for 'messages:send'. Did you forget to run `npx convex dev` or `npx convex deploy`?\n",
        &["functions-not-deployed"],
        1,
        "Server Error",
    );
}

#[test]
fn bad_admin_key() {
    expect(
        &format!("{RED}✖ Error fetching POST  http://127.0.0.1:3210/api/push_config 401 Unauthorized: BadAdminKey: The provided admin key was invalid for this instance{RESET}\nAuthenticate with `npx convex dev`\n"),
        &["bad-admin-key"],
        1,
        "BadAdminKey",
    );
    expect(
        "GET http://127.0.0.1:3210/api/check_admin_key 401 (Unauthorized)\n",
        &["bad-admin-key"],
        1,
        "check_admin_key 401",
    );
}

#[test]
fn cli_no_deployment_config() {
    expect(
        "✖ GitHub Actions build environment detected but no Convex deployment configuration found.\nSet one of:\n",
        &["cli-no-deployment-config"],
        1,
        "no Convex deployment configuration found",
    );
}

#[test]
fn convex_deployment_beside_self_hosted_both_directions() {
    expect(
        &format!("{RED}✖ CONVEX_DEPLOYMENT must not be set when CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY are set{RESET}\r\n"),
        &["convex-deployment-conflict"],
        1,
        "CONVEX_DEPLOYMENT must not be set",
    );
    expect(
        "✖ CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY must not be set when CONVEX_DEPLOYMENT is set\n",
        &["convex-deployment-conflict"],
        1,
        "must not be set when CONVEX_DEPLOYMENT is set",
    );
}

#[test]
fn backend_unreachable() {
    expect(
        &format!("- Preparing Convex functions...\n{RED}✖ TypeError: fetch failed{RESET}\n"),
        &["backend-unreachable"],
        2,
        "TypeError: fetch failed",
    );
    expect(
        "curl: (7) Failed to connect to 127.0.0.1 port 3210 after 0 ms: Couldn't connect to server\n",
        &["backend-unreachable"],
        1,
        "port 3210",
    );
    expect(
        "Error: connect ECONNREFUSED 127.0.0.1:3210\n",
        &["backend-unreachable"],
        1,
        "ECONNREFUSED 127.0.0.1:3210",
    );
}

#[test]
fn coder_output_pipes() {
    expect(
        "2026-02-03 10:15:42.120 [warn]  agent.agentscripts: script exited successfully, but output pipes were not closed after 10s  log_source=\"Startup Script\"\n",
        &["coder-output-pipes"],
        1,
        "output pipes were not closed",
    );
}

#[test]
fn insecure_websocket_and_mixed_content() {
    expect(
        "Uncaught SecurityError: Failed to construct 'WebSocket': An insecure WebSocket connection may not be initiated from a page loaded over HTTPS.\n",
        &["insecure-websocket-mixed-content"],
        1,
        "insecure WebSocket",
    );
    expect(
        "Mixed Content: The page at 'https://6791--main--ws--me.coder.example.com/' was loaded over HTTPS, but attempted to connect to the insecure WebSocket endpoint 'ws://127.0.0.1:3210/api/1.24.8/sync'. This request has been blocked; this endpoint must be available over WSS.\n",
        &["insecure-websocket-mixed-content"],
        1,
        "Mixed Content",
    );
}

#[test]
fn upload_html_origin() {
    expect(
        "Uncaught (in promise) Error: Uploaded file appears to be HTML content\n",
        &["upload-html-origin"],
        1,
        "HTML content",
    );
    expect(
        "POST https://convex.example.com/api/storage/upload?token=abc123 404 (Not Found)\n",
        &["upload-html-origin"],
        1,
        "/api/storage/upload",
    );
}

#[test]
fn node_engine_too_old_npm_and_yarn() {
    expect(
        "npm warn EBADENGINE Unsupported engine {\r\nnpm warn EBADENGINE   package: 'convex@1.49.0',\r\nnpm warn EBADENGINE   required: { node: '>=22' },\r\nnpm warn EBADENGINE   current: { node: 'v20.18.0', npm: '10.8.2' }\r\nnpm warn EBADENGINE }\r\n",
        &["node-engine-too-old"],
        2,
        "package: 'convex@1.49.0'",
    );
    expect(
        "error convex@1.49.0: The engine \"node\" is incompatible with this module. Expected version \">=22\". Got \"20.18.0\"\n",
        &["node-engine-too-old"],
        1,
        "The engine \"node\" is incompatible",
    );
}

#[test]
fn package_manager_missing_at_a_workspace_start() {
    expect(
        "[convex] installing dependencies with pnpm (convex 1.24.8)\ntimeout: failed to run command 'pnpm': No such file or directory\n[convex] ERROR: pnpm install failed\n",
        // The missing tool is the cause; the failed install its consequence.
        &["package-manager-missing", "package-install-failed"],
        2,
        "failed to run command 'pnpm'",
    );
    expect(
        "scripts/convex-deploy.sh: line 3: yarn: command not found\n",
        &["package-manager-missing"],
        1,
        "yarn: command not found",
    );
}

#[test]
fn corepack_cannot_fetch_signature_or_network() {
    expect(
        "Internal Error: No compatible signature found in package metadata\n    at fetchLatestStableVersion (/usr/lib/node_modules/corepack/dist/lib/corepack.cjs:21550:20)\n",
        &["corepack-cannot-fetch"],
        1,
        "No compatible signature found",
    );
    expect(
        "Error: Error when performing the request to https://registry.npmjs.org/pnpm/latest; for troubleshooting help, see https://github.com/nodejs/corepack#troubleshooting\n",
        &["corepack-cannot-fetch"],
        1,
        "registry.npmjs.org/pnpm",
    );
}

#[test]
fn docker_daemon_down() {
    expect(
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
        &["docker-daemon-down"],
        1,
        "Cannot connect to the Docker daemon",
    );
}

#[test]
fn port_in_use() {
    expect(
        "Error response from daemon: driver failed programming external connectivity on endpoint convex-backend-1 (3f2a9c): Bind for 0.0.0.0:3210 failed: port is already allocated\n",
        &["port-in-use"],
        1,
        "port is already allocated",
    );
    expect(
        "Error: listen EADDRINUSE: address already in use :::5173\n",
        &["port-in-use"],
        1,
        "EADDRINUSE",
    );
}

#[test]
fn database_connection_refused() {
    expect(
        "backend-1  | Error: error connecting to server: Connection refused (os error 111)\n",
        &["database-connection-refused"],
        1,
        "os error 111",
    );
}

#[test]
fn database_url_invalid() {
    expect(
        "backend-1  | Error: cluster url already contains db name: postgres://convex@db:5432/convex\n",
        &["database-url-invalid"],
        1,
        "cluster url already contains db name",
    );
    expect(
        "backend-1  | Error: db error: FATAL: database \"convex_self_hosted\" does not exist\n",
        &["database-url-invalid"],
        1,
        "does not exist",
    );
}

#[test]
fn image_pull_denied() {
    expect(
        " ✘ dashboard Error Head \"https://ghcr.io/v2/get-convex/convex-dashboard/manifests/latest\": denied\n",
        &["image-pull-denied"],
        1,
        "denied",
    );
}

#[test]
fn image_missing_names_the_rename_and_the_override() {
    expect(
        "Error response from daemon: manifest unknown: ghcr.io/get-convex/convex-backend:903b8b96c4bceb34c62e366cf36e8f4774955e6b manifest unknown\n",
        &["image-pull-denied"],
        1,
        "manifest unknown",
    );
    let issue = convex_scaffold::diagnose::by_id("image-pull-denied").unwrap();
    assert!(issue.cause.contains("github.com/convex"), "{}", issue.cause);
    assert!(
        issue
            .fix
            .iter()
            .any(|f| f.contains("--backend-image") && f.contains("backend_image")),
        "{:?}",
        issue.fix
    );
}

#[test]
fn api_the_backend_lacks_is_recognised() {
    expect(
        "Uncaught Error: Unknown async operation 1.0/storageStore\n    at performAsyncSyscall (../../node_modules/convex/src/server/impl/syscall.ts:51:16)\n",
        &["api-unknown-async-operation"],
        1,
        "1.0/storageStore",
    );
}

#[test]
fn s3_object_part_missing_hash() {
    expect(
        "backend-1  | ERROR file_storage: Failed to complete multipart upload: Object part missing hash for part 1\n",
        &["s3-object-part-missing-hash"],
        1,
        "Object part missing hash",
    );
}

#[test]
fn auth_provider_discovery() {
    expect(
        "backend-1  | 2025-05-15T11:00:00Z ERROR isolate: Uncaught Error: AuthProviderDiscoveryFailed: Failed to fetch https://3211--main--ws--me.coder.example.com/.well-known/openid-configuration: 500\n",
        &["auth-provider-discovery"],
        1,
        "AuthProviderDiscoveryFailed",
    );
}

#[test]
fn auth_env_missing() {
    expect(
        "Uncaught Error: Missing environment variable `JWT_PRIVATE_KEY`\n",
        &["auth-env-missing"],
        1,
        "JWT_PRIVATE_KEY",
    );
}

#[test]
fn backend_origin_invalid() {
    expect(
        "backend-1  | Error: Origin url should start with https:// or http:// but got 'convex.example.com'\n",
        &["backend-origin-invalid"],
        1,
        "Origin url should start with",
    );
}

#[test]
fn container_dns() {
    expect(
        "time=\"2026-01-05T10:00:00Z\" level=warning msg=\"No non-localhost DNS nameservers are left in resolv.conf. Using default external servers: [nameserver 8.8.8.8 nameserver 8.8.4.4]\"\n",
        &["container-dns"],
        1,
        "No non-localhost DNS nameservers",
    );
    expect(
        "Error: getaddrinfo ENOTFOUND minio\n",
        &["container-dns"],
        1,
        "ENOTFOUND",
    );
}

#[test]
fn coder_no_wildcard_access_url() {
    expect(
        "Your admin has not configured subdomain application access\n",
        &["coder-no-wildcard-access-url"],
        1,
        "subdomain application access",
    );
}

/// Every catalogue entry has a test above; this keeps the two in step.
#[test]
fn every_catalogue_entry_has_a_sample() {
    let samples = [
        "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')",
        "POST /api/deploy2/evaluate_push 404",
        "missing field `functions`",
        "GET /api/v1/get_canonical_urls 404 Not Found",
        "Database was initialized with Some(S3 { s3_prefix: \"x\" }), but backend started up with Local { dir: \"/d\" }",
        "Cannot use s3 storage path x/",
        "dispatch failure: other",
        "[convex] ERROR: the backend keeps its documents, modules and storage type in the external database app",
        "[convex] ERROR: S3_ENDPOINT_URL is empty in .env.docker, but docker-compose.yml passes it",
        "Warning: Some AWS/S3 environment variables are missing. Falling back to local storage.",
        "[CONVEX Q(a:b)] [Request ID: 1] Server Error",
        "BadAdminKey",
        "build environment detected but no Convex deployment configuration found",
        "CONVEX_DEPLOYMENT must not be set when CONVEX_SELF_HOSTED_URL and CONVEX_SELF_HOSTED_ADMIN_KEY are set",
        "TypeError: fetch failed",
        "script exited successfully, but output pipes were not closed after 10s",
        "An insecure WebSocket connection may not be initiated from a page loaded over HTTPS.",
        "Uploaded file appears to be HTML content",
        "npm warn EBADENGINE   package: 'convex@1.49.0',",
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.",
        "port is already allocated",
        "Connection refused (os error 111)",
        "cluster url username must be set",
        "ghcr.io/get-convex/convex-dashboard:latest: denied",
        "Uncaught Error: Unknown async operation 1.0/signJwt",
        "Uncaught ScheduledFunctionCancelingItself: A mutation cannot cancel itself",
        "Object part missing hash",
        "AuthProviderDiscoveryFailed",
        "Missing environment variable JWT_PRIVATE_KEY",
        "Site url should start with https:// or http:// but got 'x'",
        "Temporary failure in name resolution",
        "Your admin has not configured subdomain application access",
        "WebSocket connection to 'ws://127.0.0.1:3210/api/1.24.8/sync' failed: ",
        "timeout: failed to run command 'pnpm': No such file or directory",
        "Internal Error: No compatible signature found in package metadata",
        "[convex] ERROR: the backup export failed, so the new backend image was NOT started",
        "[convex] ERROR: /home/coder/app/.env.docker sets PORT=3310, but this Coder template's apps and URLs use 3210",
        "[convex] ERROR: start_frontend is on, but 'pnpm' is not installed in the workspace image",
        "[convex] ERROR: 'curl' is not installed; install curl",
        "[convex] ERROR: .env.docker and .env.docker.example are both missing",
        "[convex] ERROR: AWS_S3_DISABLE_SSE must be the literal true or false",
        "[convex] ERROR: could not pull the backend image within 900s",
        "[convex] ERROR: could not check whether 'minio' resolves inside a container",
        "[convex] ERROR: unknown package manager 'pip'",
        "[convex] ERROR: pnpm install failed",
        "[convex] ERROR: node_modules holds convex '1.26.1', but the pin is 1.24.8",
        "[convex] ERROR: the backend did not answer http://127.0.0.1:3210/version within 180s",
        "[convex] ERROR: no admin key in .env.local; run scripts/convex-up.sh",
        "[convex] ERROR: convex dev --once failed or timed out",
        "[convex] ERROR: cancelled; nothing was deleted",
        "[convex] ERROR: docker compose up failed",
        "12:00:00 [convex] ERROR: step timed out after 900s: Deploying Convex functions",
        "12:00:00 [convex] ERROR: corrupt bundle entry (path)",
        "12:00:00 [dockerd] ERROR: could not launch dockerd",
        "12:00:00 [convex-stop] ERROR: could not signal dockerd",
        "[convex] ERROR: the key pair on the deployment is not the one in .convex-auth/: JWKS differs (values not shown)",
        "[convex] ERROR: `convex env set JWKS` failed (exit 1)",
    ];
    let findings = scan_bytes(samples.join("\n").as_bytes());
    let found = ids(&findings);
    for issue in catalogue() {
        assert!(
            found.contains(issue.id.as_str()),
            "no sample recognised as {}",
            issue.id
        );
    }
    assert_eq!(found.len(), catalogue().len());
}

// ------------------------------------------------------- false positives --

/// Healthy output of the whole stack: none of it may match anything.
const UNRELATED_LOGS: &str = r#"[+] Pulling 2/2
 ✔ backend Pulled                                                        12.3s
 ✔ dashboard Pulled                                                      10.1s
[+] Running 4/4
 ✔ Network convex_default        Created                                  0.1s
 ✔ Volume "convex_data"          Created                                  0.0s
 ✔ Container convex-backend-1    Healthy                                  6.2s
 ✔ Container convex-dashboard-1  Started                                  6.4s
backend-1    | + exec ./convex-local-backend --instance-name convex-self-hosted --instance-secret 4f1c... --local-storage /convex/data/storage --port 3210 --site-proxy-port 3211 --convex-origin http://127.0.0.1:3210 --convex-site http://127.0.0.1:3211 --beacon-tag self-hosted-docker /convex/data/db.sqlite3
backend-1    | 2025-05-29T10:00:00.123456Z  INFO convex_local_backend: Starting a Convex backend
backend-1    | 2025-05-29T10:00:00.200000Z  INFO convex_local_backend: The self-host Convex backend will periodically communicate with a remote beacon server. This is to help Convex understand and improve the product. You can disable this telemetry by setting the --disable-beacon flag.
backend-1    | 2025-05-29T10:00:00.310000Z  INFO database::database: Bootstrapping indexes...
backend-1    | 2025-05-29T10:00:00.400000Z  INFO application: Storage: Local { dir: "/convex/data/storage" }
backend-1    | 2025-05-29T10:00:00.500000Z  INFO common::http: backend listening on 0.0.0.0:3210
backend-1    | 2025-05-29T10:00:00.510000Z  INFO common::http: site proxy listening on 0.0.0.0:3211
backend-1    | 2025-05-29T10:00:02.000000Z  INFO application: Connected to Postgres
backend-1    | 2025-05-29T10:00:05.000000Z  INFO common::http: GET /version 200 1ms
backend-1    | 2025-05-29T10:00:06.000000Z  INFO common::http: GET /api/check_admin_key 200 2ms
backend-1    | 2025-05-29T10:00:06.500000Z  INFO common::http: POST /api/deploy2/start_push 200 812ms
backend-1    | 2025-05-29T10:00:07.000000Z  INFO common::http: GET /favicon.ico 404 0ms
backend-1    | 2025-05-29T10:00:08.000000Z  INFO isolate: dispatching 3 scheduled jobs
backend-1    | 2025-05-29T10:00:09.000000Z  WARN search: index backfill took 1200ms, above the 1000ms threshold
dashboard-1  |   ▲ Next.js 14.2.15
dashboard-1  |   - Local:        http://localhost:6791
dashboard-1  |   - Network:      http://0.0.0.0:6791
dashboard-1  |  ✓ Starting...
dashboard-1  |  ✓ Ready in 142ms
convex-self-hosted|01c046ab1512d9306a6abda3eedec5dfe862f1fe0f66a5aee774fb9ae3fda87706facaf682b9d4f9209a05e038cbd6e9b8
$ curl -fsS http://127.0.0.1:3210/version
unknown
npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory. Do not use it.
npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: 'vite@7.1.3',
npm warn EBADENGINE   required: { node: '^20.19.0 || >=22.12.0' },
npm warn EBADENGINE   current: { node: 'v20.11.1', npm: '10.2.4' }
npm warn EBADENGINE }

added 312 packages, and audited 313 packages in 9s

78 packages are looking for funding
  run `npm fund` for details

found 0 vulnerabilities
Packages: +312
Progress: resolved 312, reused 300, downloaded 12, added 312, done
dependencies:
+ convex 1.24.8
+ react 18.3.1
Done in 4.2s
- Preparing Convex functions...
✔ Added table indexes:
  [+] messages.by_channel   ["channel","_creationTime"]
✔ Schema validation complete.
Downloading current deployment state...
Diffing local code and deployment state
Analyzing and deploying source code...
✔ 10:00:12 Convex functions ready! (2.31s)
Write your Convex functions in convex/
Give us feedback at https://convex.dev/community or support@convex.dev
View the Convex dashboard at http://127.0.0.1:6791

  VITE v5.4.10  ready in 312 ms

  ➜  Local:   http://localhost:5173/
  ➜  Network: use --host to expose
[vite] hmr update /src/App.tsx
src/App.tsx(3,22): error TS7016: Could not find a declaration file for module 'canvas-confetti'.
Permission denied (publickey).
2026-02-03 10:15:40.001 [info]  agent.agentscripts: running script  log_source="Startup Script"
2026-02-03 10:15:42.000 [info]  agent.agentscripts: script completed  log_source="Startup Script" exit_code=0
 * Starting Docker: docker                                        [ OK ]
Client: Docker Engine - Community
 Version:           27.3.1
Server: Docker Engine - Community
 Engine:
  Version:          27.3.1
[CONVEX Q(messages:list)] query result updated
"#;

#[test]
fn unrelated_realistic_logs_match_nothing() {
    let findings = scan_bytes(UNRELATED_LOGS.as_bytes());
    assert!(
        findings.is_empty(),
        "false positives: {:?}",
        findings
            .iter()
            .map(|f| (f.issue.id.as_str(), f.line.as_str()))
            .collect::<Vec<_>>()
    );
    // Also with colours and CRLF.
    let coloured = UNRELATED_LOGS
        .lines()
        .map(|l| format!("\x1b[36m{l}\x1b[0m\r\n"))
        .collect::<String>();
    assert!(scan_bytes(coloured.as_bytes()).is_empty());
}

// ------------------------------------------------------------ robustness --

const NEEDLE: &str =
    "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')";

#[test]
fn invalid_utf8_and_binary_junk() {
    let mut input = b"\xff\xfe\x00garbage\xc3\x28 ".to_vec();
    input.extend_from_slice(NEEDLE.as_bytes());
    input.extend_from_slice(b" \xe2\x82\n\x80\x81\x82\n");
    let findings = scan_bytes(&input);
    assert_eq!(ids(&findings), BTreeSet::from(["cli-1-26-reading-length"]));
    assert_eq!(findings[0].line_number, 1);
    assert!(findings[0].line.contains('\u{FFFD}'));
    assert!(findings[0].line.contains(NEEDLE));

    // 1 MiB of pseudo-random bytes with the needle on a known line.
    let mut junk = pseudo_random(1 << 20, 7);
    let at = junk.len() / 2;
    let line = 1 + junk[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    let mut needle_line = b"\n".to_vec();
    needle_line.extend_from_slice(NEEDLE.as_bytes());
    needle_line.push(b'\n');
    junk.splice(at..at, needle_line);
    let findings = scan_bytes(&junk);
    let f = find(&findings, "cli-1-26-reading-length");
    assert_eq!(f.line_number, line + 1);
}

#[test]
fn ten_megabyte_single_line() {
    let size = 10 << 20;
    let mut input = Vec::with_capacity(size + 4096);
    // Needle in the middle of a huge line, not aligned to anything.
    input.resize(size / 2 + 12_345, b'x');
    input.extend_from_slice(NEEDLE.as_bytes());
    input.resize(size, b'y');
    input.extend_from_slice(b"\nnext line: TypeError: fetch failed\n");
    let start = Instant::now();
    let findings = scan_bytes(&input);
    let elapsed = start.elapsed();
    assert_eq!(
        ids(&findings),
        BTreeSet::from(["cli-1-26-reading-length", "backend-unreachable"])
    );
    let f = find(&findings, "cli-1-26-reading-length");
    assert_eq!(f.line_number, 1);
    assert!(f.line.contains(NEEDLE), "{}", f.line);
    assert!(f.line.starts_with('…') && f.line.ends_with('…'));
    assert!(f.line.chars().count() <= 310, "{} chars", f.line.len());
    assert_eq!(find(&findings, "backend-unreachable").line_number, 2);
    assert!(
        elapsed < Duration::from_secs(2),
        "10 MB line took {elapsed:?}"
    );
}

#[test]
fn needle_across_every_block_boundary_of_a_long_line() {
    // Matches placed across internal 4, 32 and 64 KiB boundaries of one line
    // and of short lines must all be found.
    for offset in [
        4090usize, 32_760, 65_000, 65_400, 65_500, 65_530, 65_536, 65_540, 98_300, 131_070,
    ] {
        let mut long = vec![b'x'; offset];
        long.extend_from_slice(NEEDLE.as_bytes());
        long.extend_from_slice(&[b'y'; 70_000]);
        let findings = scan_bytes(&long);
        assert_eq!(findings.len(), 1, "long line, offset {offset}");
        // Re-scanned overlap must not count the same line twice.
        assert_eq!(findings[0].more_matches, 0, "long line, offset {offset}");

        let mut lines = Vec::new();
        while lines.len() < offset {
            lines.extend_from_slice(b"backend-1 | INFO ok\n");
        }
        let line_number = 1 + lines.iter().filter(|&&b| b == b'\n').count() as u64;
        lines.extend_from_slice(NEEDLE.as_bytes());
        // The needle's line continues past the first block, then more lines.
        lines.extend_from_slice(&[b'z'; 300]);
        lines.push(b'\n');
        while lines.len() < offset + 140_000 {
            lines.extend_from_slice(b"backend-1 | INFO ok\n");
        }
        let findings = scan_bytes(&lines);
        assert_eq!(findings.len(), 1, "short lines, offset {offset}");
        assert_eq!(findings[0].line_number, line_number);
        assert_eq!(findings[0].more_matches, 0, "short lines, offset {offset}");
    }
}

#[test]
fn crlf_line_numbers_and_counts() {
    let input = "a\r\nb\r\nTypeError: fetch failed\r\nc\r\nTypeError: fetch failed\r\nTypeError: fetch failed; connect ECONNREFUSED 127.0.0.1:3210\r\n";
    let findings = scan_bytes(input.as_bytes());
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.issue.id, "backend-unreachable");
    assert_eq!(f.line_number, 3);
    assert_eq!(f.line, "TypeError: fetch failed");
    // Two further lines; the last matches two patterns but counts once.
    assert_eq!(f.more_matches, 2);

    // A bare CR (spinner overwrite) inside a line becomes a space.
    let findings = scan_bytes("⠋ Pushing\r✖ TypeError: fetch failed\r\n".as_bytes());
    assert_eq!(findings[0].line, "⠋ Pushing ✖ TypeError: fetch failed");
}

#[test]
fn every_matching_line_is_counted_across_blocks() {
    // Lines of 32 bytes end exactly on block boundaries; lines of varying
    // length straddle them. Every line matches, so the count must be exact.
    let mut aligned = Vec::new();
    for _ in 0..10_000 {
        aligned.extend_from_slice(b"TypeError: fetch failed .......\n");
    }
    assert_eq!(aligned.len(), 10_000 * 32);
    let findings = scan_bytes(&aligned);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].more_matches, 9_999);

    let lengths = pseudo_random(10_000, 3);
    let mut varied = Vec::new();
    for (i, &extra) in lengths.iter().enumerate() {
        varied.extend_from_slice(b"TypeError: fetch failed");
        varied.resize(varied.len() + extra as usize * 8, b'.');
        if i % 7 == 0 {
            // and sometimes a line that matches nothing
            varied.extend_from_slice(b"\nok");
        }
        varied.push(b'\n');
    }
    let findings = scan_bytes(&varied);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].more_matches, 9_999);
}

#[test]
fn findings_are_ordered_by_first_line() {
    let input = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\nTypeError: fetch failed\nCannot connect to the Docker daemon\n";
    let findings = scan_bytes(input.as_bytes());
    let order: Vec<_> = findings.iter().map(|f| f.issue.id.as_str()).collect();
    assert_eq!(order, ["docker-daemon-down", "backend-unreachable"]);
    assert_eq!(findings[0].more_matches, 1);
}

#[test]
fn empty_input() {
    assert!(scan_bytes(b"").is_empty());
    assert!(scan_bytes(b"\n\n\r\n").is_empty());
}

#[test]
fn read_errors_are_returned() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    assert!(scan(Failing).is_err());
}

#[test]
fn throughput_20_mb() {
    let mut input = Vec::with_capacity(21 << 20);
    while input.len() < 20 << 20 {
        input.extend_from_slice(UNRELATED_LOGS.as_bytes());
    }
    input.extend_from_slice(b"\x1b[31m\xe2\x9c\x96 TypeError: fetch failed\x1b[39m\n");
    let start = Instant::now();
    let findings = scan_bytes(&input);
    let elapsed = start.elapsed();
    assert_eq!(ids(&findings), BTreeSet::from(["backend-unreachable"]));
    assert!(
        elapsed < Duration::from_secs(2),
        "20 MB took {elapsed:?} (debug build)"
    );
}

// ------------------------------------------------------------- rendering --

#[test]
fn text_report() {
    let findings = scan_bytes(format!("x\n{RED}✖{RESET} {NEEDLE}\r\n{NEEDLE}\n").as_bytes());
    let mut out = Vec::new();
    render_text(&findings, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("[cli-1-26-reading-length]"), "{text}");
    assert!(
        text.contains(&format!("line 2: ✖ {NEEDLE}  (+1 more matching line)")),
        "{text}"
    );
    assert!(text.contains("cause: "));
    assert!(text.contains("$ convex-scaffold upgrade --release latest"));
    assert!(text.contains("$ npm install --save-exact convex@1.26.2"));
    assert!(text.contains("cli-known-bad"));

    let mut out = Vec::new();
    render_text(&[], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("No known issue matched"));
    assert!(text.contains("convex-scaffold doctor"));
}

#[test]
fn json_report_shape() {
    let findings = scan_bytes(format!("{NEEDLE}\n{NEEDLE}\n").as_bytes());
    let mut out = Vec::new();
    render_json(&findings, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["matched"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["issue"]["id"], "cli-1-26-reading-length");
    assert_eq!(f["issue"]["check"], "cli-known-bad");
    assert!(f["issue"]["fix"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(f["issue"]["sources"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    assert_eq!(f["line_number"], 1);
    assert_eq!(f["line"], NEEDLE);
    assert_eq!(f["more_matches"], 1);

    let mut out = Vec::new();
    render_json(&[], &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["matched"], 0);
    assert_eq!(v["findings"], serde_json::json!([]));
}

#[test]
fn by_id_finds_entries_for_the_doctor() {
    assert_eq!(
        by_id("cli-1-26-reading-length").and_then(|i| i.check.as_deref()),
        Some("cli-known-bad")
    );
    assert_eq!(
        by_id("coder-output-pipes").and_then(|i| i.check.as_deref()),
        None
    );
    assert!(by_id("nope").is_none());
}

// ------------------------------------------------------------- proptests --

/// A reader that hands out at most `n` bytes per read.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn summary(findings: &[Finding]) -> Vec<(String, u64, String, u64)> {
    findings
        .iter()
        .map(|f| {
            (
                f.issue.id.clone(),
                f.line_number,
                f.line.clone(),
                f.more_matches,
            )
        })
        .collect()
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Fragments that build plausible hostile input: escapes cut anywhere,
/// CR/LF, invalid UTF-8, catalogue messages.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        Just(b"\x1b[31m".to_vec()),
        Just(b"\x1b]8;;http://x\x07".to_vec()),
        Just(b"\x1b".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\xff\xc3".to_vec()),
        Just(NEEDLE.as_bytes().to_vec()),
        Just(b"TypeError: fetch failed".to_vec()),
        Just(b"dispatch failure".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn scan_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..8192)) {
        let findings = scan(bytes.as_slice()).unwrap();
        for f in &findings {
            prop_assert!(f.line_number >= 1);
            prop_assert!(f.line.chars().count() <= 310);
        }
    }

    #[test]
    fn result_does_not_depend_on_read_sizes(
        parts in proptest::collection::vec(fragment(), 0..40),
        n in 1usize..50,
    ) {
        let input: Vec<u8> = parts.concat();
        let whole = summary(&scan(input.as_slice()).unwrap());
        let trickled = summary(&scan(Trickle { data: &input, n }).unwrap());
        prop_assert_eq!(whole, trickled);
    }
}

// ---- the `diagnose` command itself ----

#[test]
fn command_reads_stdin_and_exits_1_when_something_matched() {
    let seed = "Failed to create multipart upload: dispatch failure: other: client error (Connect): dns error: failed to lookup address information: Name or service not known\n";
    crate::support::bin()
        .arg("diagnose")
        .write_stdin(seed)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("s3-dns-dispatch-failure"));
    crate::support::bin()
        .arg("diagnose")
        .write_stdin("all good\n")
        .assert()
        .success()
        .stdout(predicates::str::contains("convex-scaffold doctor"));
}

#[test]
fn command_json_is_machine_readable_and_missing_files_are_usage_errors() {
    let sb = crate::support::Sandbox::new();
    let log = sb.path("backend.log");
    std::fs::write(
        &log,
        "2026-01-01 Database was initialized with Some(S3 { s3_prefix: \"x-1/\" }), but backend started up with Local { dir: \"/convex/data/storage\" }\n",
    )
    .unwrap();
    let out = crate::support::bin()
        .arg("diagnose")
        .arg(&log)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(value["findings"][0]["issue"]["id"], "storage-type-mismatch");
    assert_eq!(value["findings"][0]["line_number"], 1);
    crate::support::bin()
        .arg("diagnose")
        .arg(sb.path("missing.log"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.log"));
}

#[test]
fn readme_lists_every_catalogue_entry() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/troubleshooting.md"),
    )
    .unwrap();
    for issue in catalogue() {
        assert!(
            readme.contains(&format!("| `{}` |", issue.id)),
            "README lacks {}",
            issue.id
        );
    }
}

/// What a user pastes from the browser console of the frontend starter
/// (lines as headless Chromium printed them in tests/e2e/frontend).
#[test]
fn frontend_starter_console_lines() {
    // The Convex websocket to a host where nothing answers (the Vite app
    // built with VITE_CONVEX_URL=http://127.0.0.1:3210, opened from another
    // machine).
    expect(
        "WebSocket connection to 'ws://127.0.0.1:3210/api/1.24.8/sync' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED\n",
        &["websocket-wrong-host"],
        1,
        "ws://127.0.0.1:3210/api/1.24.8/sync",
    );
    expect(
        "index-DjSkeYem.js:9 WebSocket connection to 'wss://convex-api--main--ws--alice.coder.example.com/api/1.24.8/sync' failed: \n",
        &["websocket-wrong-host"],
        1,
        "wss://convex-api--main--ws--alice",
    );
    expect(
        "Firefox can\u{2019}t establish a connection to the server at ws://localhost:3210/api/1.24.8/sync.\n",
        &["websocket-wrong-host"],
        1,
        "ws://localhost:3210",
    );
    // Functions not deployed: the query's error, with or without the request id.
    expect(
        "Uncaught Error: [CONVEX Q(health:ping)] [Request ID: 0f3c2a1b9d8e7f60] Server Error\n    at ConvexReactClient.queryResult (index-DjSkeYem.js:9:1234)\n",
        &["functions-not-deployed"],
        1,
        "[CONVEX Q(health:ping)]",
    );
    expect(
        "Uncaught Error: [CONVEX Q(health:ping)] Could not find public function for 'health:ping'.\n  Called by client\n",
        &["functions-not-deployed"],
        1,
        "health:ping",
    );
    // The https page of Coder's Frontend app calling the http backend.
    expect(
        "Mixed Content: The page at 'https://frontend--main--ws--alice.coder.example.com/' was loaded over HTTPS, but attempted to connect to the insecure WebSocket endpoint 'ws://127.0.0.1:3210/api/1.24.8/sync'. This request has been blocked; this endpoint must be available over WSS.\n",
        &["insecure-websocket-mixed-content"],
        1,
        "Mixed Content",
    );
    // The dev server's HMR websocket is not the Convex one.
    assert!(scan_bytes(
        b"WebSocket connection to 'wss://frontend--main--ws--alice.coder.example.com:5173/?token=abc' failed: \n"
    )
    .is_empty());
}
