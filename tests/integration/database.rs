//! The `database` answer key: the compose service, the one-shot that creates
//! the database, the backend's URL, the generated password and the lock.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::*;

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn out_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn upgrade(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("upgrade")
        .arg(dir)
        .args(args)
        .output()
        .expect("runs")
}

fn compose(dir: &Path) -> Value {
    parse_yaml(&text(dir, "docker-compose.yml"))
}

fn service_names(compose: &Value) -> Vec<String> {
    compose["services"]
        .as_object()
        .expect("services")
        .keys()
        .cloned()
        .collect()
}

/// Runs the database-init command of `compose` with `sh`, a fake client
/// (`client`, logging its arguments) first on PATH, and INSTANCE_NAME set.
fn run_init(compose: &Value, client: &str, client_script: &str, instance: &str) -> (bool, String) {
    let init = &compose["services"]["database-init"];
    assert_eq!(init["entrypoint"], serde_json::json!(["sh", "-ec"]));
    let script = compose_unescape(init["command"][0].as_str().expect("command"));
    let bin_dir = tempfile::tempdir().unwrap();
    let fake = bin_dir.path().join(client);
    std::fs::write(&fake, format!("#!/bin/sh\n{client_script}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = bin_dir.path().join("log");
    let out = std::process::Command::new("sh")
        .arg("-ec")
        .arg(&script)
        .env("INSTANCE_NAME", instance)
        .env("LOG", &log)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.path().display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (out.status.success(), format!("{}{calls}", out_text(&out)))
}

#[test]
fn sqlite_is_the_default_and_adds_nothing() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let c = compose(&dir);
    assert_eq!(service_names(&c), ["backend", "dashboard"]);
    let env = c["services"]["backend"]["environment"].as_object().unwrap();
    assert!(!env.contains_key("POSTGRES_URL") && !env.contains_key("MYSQL_URL"));
    assert!(c["services"]["backend"].get("depends_on").is_none());
    assert!(!text(&dir, ".env.docker").contains("DATABASE_PASSWORD"));
    let state = text(&dir, "convex-scaffold.toml");
    assert!(state.contains("database = \"sqlite\""), "{state}");
    assert!(state.contains("initial_database = \"sqlite\""), "{state}");
}

#[test]
fn postgres_and_mysql_get_a_pinned_healthy_service_and_a_url_without_a_database() {
    for (db, image, url_var, url, volume) in [
        (
            "postgres",
            "postgres:17.10-trixie",
            "POSTGRES_URL",
            "postgresql://convex:${DATABASE_PASSWORD:-}@database:5432",
            "postgres-data:/var/lib/postgresql/data",
        ),
        (
            "mysql",
            "mysql:8.4.11-oraclelinux9",
            "MYSQL_URL",
            "mysql://convex:${DATABASE_PASSWORD:-}@database:3306",
            "mysql-data:/var/lib/mysql",
        ),
    ] {
        let sb = Sandbox::new();
        let out = run(&[
            "new",
            sb.path("my-app").to_str().unwrap(),
            "--yes",
            "--set",
            &format!("database={db}"),
        ]);
        assert!(out.status.success(), "{}", out_text(&out));
        let dir = sb.path("my-app");
        let c = compose(&dir);
        assert_eq!(
            service_names(&c),
            ["backend", "dashboard", "database", "database-init"],
            "{db}"
        );
        let database = &c["services"]["database"];
        assert_eq!(database["image"], image);
        assert_eq!(c["services"]["database-init"]["image"], image);
        assert_eq!(database["volumes"][0], volume);
        assert_eq!(database["restart"], "unless-stopped");
        assert!(database["healthcheck"]["test"].is_array(), "{db}");
        let volumes = c["volumes"].as_object().unwrap();
        assert!(volumes.contains_key("data"));
        assert!(volumes.contains_key(volume.split(':').next().unwrap()));

        let backend = &c["services"]["backend"];
        assert_eq!(
            backend["depends_on"]["database"]["condition"],
            "service_healthy"
        );
        assert_eq!(
            backend["depends_on"]["database-init"]["condition"],
            "service_completed_successfully"
        );
        assert_eq!(backend["volumes"][0], "data:/convex/data");
        let env = backend["environment"].as_object().unwrap();
        assert_eq!(env[url_var], url);
        // No database name, no query: nothing after host:port.
        let after_host = url.rsplit('@').next().unwrap();
        assert!(!after_host.contains('/') && !after_host.contains('?'));
        assert_eq!(env["DO_NOT_REQUIRE_SSL"], "${DO_NOT_REQUIRE_SSL:-true}");
        let other = if url_var == "POSTGRES_URL" {
            "MYSQL_URL"
        } else {
            "POSTGRES_URL"
        };
        assert!(!env.contains_key(other) && !env.contains_key("DATABASE_URL"));

        // The password: 64 hex from the CSPRNG in the 0600 .env.docker only.
        let secret_env = parse_dotenv(&text(&dir, ".env.docker"));
        let password = &secret_env["DATABASE_PASSWORD"];
        assert_eq!(password.len(), 64, "{db}");
        assert!(password.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(password, &secret_env["INSTANCE_SECRET"]);
        assert_eq!(mode(&dir.join(".env.docker")), 0o600);
        assert_eq!(
            parse_dotenv(&text(&dir, ".env.docker.example"))["DATABASE_PASSWORD"],
            ""
        );
        assert!(!out_text(&out).contains(password.as_str()));
        for (path, bytes) in read_tree(&dir) {
            if path != ".env.docker" {
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(password.as_str()),
                    "{path} holds the password"
                );
            }
        }
        assert!(text(&dir, ".gitignore").lines().any(|l| l == ".env.docker"));
        assert!(text(&dir, "scripts/convex-config.sh").contains(&format!("CONVEX_DATABASE={db}")));
        let state = text(&dir, "convex-scaffold.toml");
        assert!(state.contains(&format!("initial_database = \"{db}\"")));
        assert!(!state.contains(password.as_str()));
    }
}

#[test]
fn postgres_init_creates_the_database_named_after_the_instance_only_once() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &["--set", "database=postgres"]);
    let c = compose(&dir);
    // The database does not exist yet: one query, then CREATE DATABASE.
    let (ok, log) = run_init(&c, "psql", r#"echo "psql $*" >>"$LOG""#, "my-app-2");
    assert!(ok, "{log}");
    assert!(
        log.contains("SELECT 1 FROM pg_database WHERE datname = 'my_app_2'"),
        "{log}"
    );
    assert!(log.contains("CREATE DATABASE \"my_app_2\""), "{log}");
    // It exists: no CREATE.
    let (ok, log) = run_init(
        &c,
        "psql",
        r#"echo "psql $*" >>"$LOG"; case "$*" in *SELECT*) echo 1 ;; esac"#,
        "my-app-2",
    );
    assert!(ok, "{log}");
    assert!(!log.contains("CREATE DATABASE"), "{log}");
    assert!(log.contains("database my_app_2 exists"), "{log}");
    // A hand-edited INSTANCE_NAME that would inject SQL is refused.
    let (ok, log) = run_init(&c, "psql", r#"echo "psql $*" >>"$LOG""#, "x'; DROP");
    assert!(!ok, "{log}");
    assert!(!log.contains("psql "), "{log}");
}

#[test]
fn mysql_init_creates_the_database_idempotently_and_grants_it() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &["--set", "database=mysql"]);
    let c = compose(&dir);
    let (ok, log) = run_init(&c, "mysql", r#"echo "mysql $*" >>"$LOG""#, "my-app");
    assert!(ok, "{log}");
    assert!(log.contains("-h database -u root"), "{log}");
    assert!(
        log.contains("CREATE DATABASE IF NOT EXISTS `my_app`"),
        "{log}"
    );
    assert!(
        log.contains("GRANT ALL PRIVILEGES ON `my_app`.* TO 'convex'@'%'"),
        "{log}"
    );
    let (ok, _) = run_init(&c, "mysql", r#"echo "mysql $*" >>"$LOG""#, "");
    assert!(!ok);
}

#[test]
fn an_unknown_database_is_refused_naming_the_choices() {
    let sb = Sandbox::new();
    let out = run(&[
        "new",
        sb.path("app").to_str().unwrap(),
        "--yes",
        "--set",
        "database=oracle",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    let text = out_text(&out);
    assert!(text.contains("database = \"oracle\""), "{text}");
    assert!(text.contains("sqlite, postgres, mysql"), "{text}");
    assert!(!sb.path("app").exists());
}

#[test]
fn switching_the_database_is_refused_without_reset_data_and_done_with_it() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--set", "database=postgres"]);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    let msg = out_text(&out);
    assert!(
        msg.contains("refusing to change database from sqlite to postgres"),
        "{msg}"
    );
    assert!(msg.contains("--reset-data"), "{msg}");
    assert_eq!(read_tree(&dir), before);
    // `new --force` over the project cannot switch it either.
    let out = run(&[
        "new",
        dir.to_str().unwrap(),
        "--yes",
        "--force",
        "--set",
        "name=app",
        "--set",
        "database=mysql",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    assert_eq!(read_tree(&dir), before);

    let secret_line = text(&dir, ".env.docker")
        .lines()
        .find(|l| l.starts_with("INSTANCE_SECRET="))
        .unwrap()
        .to_owned();
    let out = upgrade(&dir, &["--set", "database=postgres", "--reset-data"]);
    assert!(out.status.success(), "{}", out_text(&out));
    assert!(out_text(&out).contains("database changed sqlite -> postgres"));
    assert!(out_text(&out).contains("scripts/convex-reset.sh"));
    let state = text(&dir, "convex-scaffold.toml");
    assert!(state.contains("initial_database = \"postgres\""), "{state}");
    assert_eq!(
        service_names(&compose(&dir)),
        ["backend", "dashboard", "database", "database-init"]
    );
    assert!(text(&dir, ".env.docker").contains(&secret_line));
    // Recorded now: a plain upgrade is no switch; going back is refused.
    assert!(upgrade(&dir, &[]).status.success());
    assert_eq!(
        upgrade(&dir, &["--set", "database=sqlite"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_state_file_from_before_the_database_key_reads_as_sqlite() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let state_path = dir.join("convex-scaffold.toml");
    let old: String = std::fs::read_to_string(&state_path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("database =") && !l.starts_with("initial_database ="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!old.contains("database ="));
    std::fs::write(&state_path, &old).unwrap();
    let out = upgrade(&dir, &["--set", "database=mysql"]);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    assert!(out_text(&out).contains("from sqlite to mysql"));
    let out = upgrade(&dir, &[]);
    assert!(out.status.success(), "{}", out_text(&out));
    assert!(text(&dir, "convex-scaffold.toml").contains("initial_database = \"sqlite\""));
}

#[test]
fn database_url_is_validated_before_anything_is_written() {
    for (database, url, why) in [
        (
            "postgres",
            "postgresql://convex@db:5432/convex",
            "database name",
        ),
        (
            "postgres",
            "postgresql://convex@db:5432?sslmode=require",
            "query parameters",
        ),
        (
            "postgres",
            "postgresql://convex:hunter2@db:5432",
            "password",
        ),
        ("postgres", "postgresql://db:5432", "user"),
        (
            "postgres",
            "mysql://convex@db",
            "mysql:// URL but database = postgres",
        ),
        ("mysql", "postgresql://convex@db", "database = mysql"),
        (
            "sqlite",
            "postgresql://convex@db",
            "only used with database = postgres or mysql",
        ),
        ("postgres", "http://convex@db", "scheme"),
        ("postgres", "postgresql://convex@db:99999", "port"),
    ] {
        let sb = Sandbox::new();
        let out = run(&[
            "new",
            sb.path("app").to_str().unwrap(),
            "--yes",
            "--set",
            &format!("database={database}"),
            "--set",
            &format!("database_url={url}"),
        ]);
        assert_eq!(out.status.code(), Some(2), "{url}: {}", out_text(&out));
        let text = out_text(&out);
        assert!(text.contains("database_url"), "{url}: {text}");
        assert!(text.contains(why), "{url}: expected {why:?} in {text}");
        // A password typed into the URL is never echoed.
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!sb.path("app").exists(), "{url}");
    }
}

#[test]
fn an_external_server_gets_no_service_and_a_check_that_its_database_exists() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "app",
        &[
            "--set",
            "database=postgres",
            "--set",
            "database_url=postgresql://convex@db.example.com:5432",
        ],
    );
    let c = compose(&dir);
    assert_eq!(service_names(&c), ["backend", "dashboard", "database-init"]);
    let backend = &c["services"]["backend"];
    assert!(backend["depends_on"].get("database").is_none());
    assert_eq!(
        backend["depends_on"]["database-init"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(backend["environment"]["POSTGRES_URL"], "${POSTGRES_URL:-}");
    assert_eq!(
        c["volumes"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data"]
    );
    let env = parse_dotenv(&text(&dir, ".env.docker"));
    assert_eq!(
        env["POSTGRES_URL"],
        "postgresql://convex@db.example.com:5432"
    );
    assert!(!env.contains_key("DATABASE_PASSWORD"));
    assert!(text(&dir, "scripts/convex-config.sh").contains("CONVEX_DATABASE_EXTERNAL=1"));

    // The check: missing database -> exit 1 naming the CREATE DATABASE.
    let url = "postgresql://convex:pw@db.example.com:5432";
    let missing = r#"echo "psql $*" >>"$LOG""#;
    let init = &c["services"]["database-init"];
    assert!(init.get("depends_on").is_none());
    let mut with_url = c.clone();
    with_url["services"]["database-init"]["command"][0] = Value::String(format!(
        "POSTGRES_URL='{url}'\n{}",
        init["command"][0].as_str().unwrap()
    ));
    let (ok, log) = run_init(&with_url, "psql", missing, "my-app");
    assert!(!ok, "{log}");
    assert!(log.contains("CREATE DATABASE \"my_app\""), "{log}");
    assert!(log.contains(&format!("psql {url}/postgres -tAc")), "{log}");
    let exists = r#"echo "psql $*" >>"$LOG"; echo 1"#;
    let (ok, log) = run_init(&with_url, "psql", exists, "my-app");
    assert!(ok, "{log}");
    assert!(!log.contains("CREATE"), "{log}");
}

#[test]
fn an_external_mysql_url_is_split_for_the_client() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "app",
        &[
            "--set",
            "database=mysql",
            "--set",
            "database_url=mysql://convex@10.0.0.5",
        ],
    );
    let mut c = compose(&dir);
    let script = c["services"]["database-init"]["command"][0]
        .as_str()
        .unwrap()
        .to_owned();
    c["services"]["database-init"]["command"][0] =
        Value::String(format!("MYSQL_URL='mysql://convex:pw@10.0.0.5'\n{script}"));
    let (ok, log) = run_init(
        &c,
        "mysql",
        r#"echo "mysql $* pwd=$MYSQL_PWD" >>"$LOG"; echo 1"#,
        "my-app",
    );
    assert!(ok, "{log}");
    assert!(log.contains("mysql -h 10.0.0.5 -P 3306 -u convex"), "{log}");
    assert!(log.contains("pwd=pw"), "{log}");
    assert!(log.contains("schema_name = 'my_app'"), "{log}");
    let (ok, log) = run_init(&c, "mysql", r#"echo "mysql $*" >>"$LOG""#, "my-app");
    assert!(!ok, "{log}");
    assert!(log.contains("CREATE DATABASE `my_app`"), "{log}");
}

#[test]
fn moving_to_another_server_is_refused_without_reset_data() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &["--set", "database=postgres"]);
    let before = read_tree(&dir);
    let out = upgrade(
        &dir,
        &[
            "--set",
            "database_url=postgresql://convex@db.example.com:5432",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    let msg = out_text(&out);
    assert!(
        msg.contains("refusing to change database_url from the bundled database service to postgresql://convex@db.example.com:5432"),
        "{msg}"
    );
    assert_eq!(read_tree(&dir), before);
    let out = upgrade(
        &dir,
        &[
            "--set",
            "database_url=postgresql://convex@db.example.com:5432",
            "--reset-data",
        ],
    );
    assert!(out.status.success(), "{}", out_text(&out));
    assert!(
        out_text(&out).contains("the database server changed"),
        "{}",
        out_text(&out)
    );
    assert!(!out_text(&out).contains("nothing to reset"));
    assert_eq!(
        service_names(&compose(&dir)),
        ["backend", "dashboard", "database-init"]
    );
    // Recorded: the same server again is no move.
    assert!(upgrade(&dir, &[]).status.success());
}
