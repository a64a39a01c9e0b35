//! The backend's database (the `database` answer): the compose file passes
//! the URL the answer selects, in the shape the backend accepts; the
//! database name derived from INSTANCE_NAME is one Postgres/MySQL accept;
//! the SSL settings agree; the database exists (live); and the database is
//! the one the backend was first started on (the lock).

use std::time::Duration;

use serde_json::Value;

use super::{stack, Check, Project, COMPOSE_FILE, ENV_DOCKER};
use crate::answers::{sql_database_name, Database};

/// The backend's database settings as docker-compose.yml states them.
#[derive(Debug, Default)]
struct ComposeDatabase {
    /// `(variable, value)` of POSTGRES_URL / MYSQL_URL / DATABASE_URL.
    urls: Vec<(String, String)>,
    has_database_service: bool,
    /// The backend's volume targets (container paths) and bind sources.
    backend_mounts: Vec<String>,
    backend_env: Vec<String>,
}

fn read_compose(p: &Project) -> Option<ComposeDatabase> {
    let text = std::fs::read_to_string(p.dir.join(COMPOSE_FILE)).ok()?;
    let value: Value = serde_saphyr::from_str(&text).ok()?;
    let services = value.get("services")?.as_object()?;
    let backend = services.get("backend")?;
    let mut out = ComposeDatabase {
        has_database_service: services.contains_key("database"),
        ..Default::default()
    };
    if let Some(Value::Object(env)) = backend.get("environment") {
        for (key, v) in env {
            out.backend_env.push(key.clone());
            if matches!(key.as_str(), "POSTGRES_URL" | "MYSQL_URL" | "DATABASE_URL") {
                out.urls
                    .push((key.clone(), v.as_str().unwrap_or_default().to_owned()));
            }
        }
    }
    if let Some(Value::Array(volumes)) = backend.get("volumes") {
        for v in volumes {
            match v {
                Value::String(s) => out.backend_mounts.push(s.clone()),
                Value::Object(m) => {
                    if let Some(t) = m.get("target").and_then(Value::as_str) {
                        out.backend_mounts.push(t.to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    Some(out)
}

/// Why a backend database URL would be rejected, if it would. Compose
/// interpolations (`${...}`) in the password are allowed.
pub fn url_problem(var: &str, url: &str) -> Option<String> {
    let schemes: &[&str] = match var {
        "MYSQL_URL" => &["mysql"],
        _ => &["postgres", "postgresql"],
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(format!(
            "{var} is not a URL (expected {}://user@host:port)",
            schemes[0]
        ));
    };
    if !schemes.contains(&scheme) {
        return Some(format!(
            "{var} has scheme {scheme:?}; the backend expects {}://",
            schemes.join("://, ")
        ));
    }
    // The authority ends at the first '/', '?' or '#' after the '@'.
    let after_at = rest.rsplit_once('@').map(|(_, h)| h);
    let Some(host) = after_at else {
        return Some(format!(
            "{var} has no user name; the backend refuses it (\"cluster url username must be set\")"
        ));
    };
    if rest.split('@').next().unwrap_or_default().is_empty() {
        return Some(format!(
            "{var} has an empty user name; the backend refuses it (\"cluster url username must be set\")"
        ));
    }
    if let Some(i) = host.find(['/', '?', '#']) {
        let tail = &host[i..];
        if tail != "/" {
            // crates/clusters/src/lib.rs (903b8b96): only a Postgres path is
            // refused upstream; query parameters are kept, a MySQL path is
            // ignored. The rest is what database-init can read.
            let why = if tail.starts_with('/') && var == "POSTGRES_URL" {
                "the backend refuses a database name (\"cluster url already contains db name\")"
            } else if tail.starts_with('/') {
                "the backend ignores a database name (it uses INSTANCE_NAME with '-' -> '_')"
            } else {
                "the backend would keep query parameters, but database-init reads the URL as \
                 scheme://USER:PASSWORD@HOST:PORT"
            };
            return Some(format!("{var} ends in {tail:?}: {why}"));
        }
    }
    if host.is_empty() || host.starts_with(':') {
        return Some(format!("{var} has no host"));
    }
    None
}

/// Why a database name derived from INSTANCE_NAME would not work.
pub fn name_problem(database: Database, name: &str) -> Option<String> {
    let max = if database == Database::Mysql { 64 } else { 63 };
    if name.is_empty() {
        return Some("INSTANCE_NAME is empty, so the database name is empty".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Some(format!(
            "the database name {name:?} (INSTANCE_NAME with '-' -> '_') may hold only lowercase letters, digits and '_'"
        ));
    }
    if name.len() > max {
        return Some(format!(
            "the database name {name:?} is longer than {database}'s {max} characters"
        ));
    }
    None
}

/// `live`: the docker binary and its time limit; `None` with `--offline`.
/// `started`: whether Docker shows the data volume (`None` when not asked).
pub fn check(
    p: &Project,
    started: Option<bool>,
    live: Option<(&str, Duration)>,
    out: &mut Vec<Check>,
) {
    let Some(state) = &p.state else {
        return;
    };
    let configured = state.answers.database;
    let initial = state.scaffold.initial_database;
    if configured == initial {
        out.push(Check::pass(
            "database-locked",
            if started == Some(true) {
                format!("database = {configured}, the database the backend was first started on")
            } else {
                format!(
                    "database = {configured} is configured; the backend locks it in at the stack's first start{}",
                    if started.is_none() { " (without Docker, doctor cannot tell whether it has started)" } else { "" }
                )
            },
        ));
    } else {
        out.push(Check::fail(
            "database-locked",
            format!(
                "database = {configured} in convex-scaffold.toml, but the project was set up for {initial}{}: \
                 the backend would show an empty deployment",
                if started == Some(true) { " and the backend was first started on it" } else { "" }
            ),
            format!(
                "to switch: `convex-scaffold upgrade --set database={configured} --reset-data`, then \
                 `scripts/convex-reset.sh` (it exports a backup first); or go back: \
                 `convex-scaffold upgrade --set database={initial}`"
            ),
        ));
    }
    let Some(compose) = read_compose(p) else {
        return;
    };

    // database-url: the compose file passes what the answer selects, in
    // the shape the backend accepts.
    let mut problems = Vec::new();
    let mut env_url_wrong = false;
    match configured.url_var() {
        None => {
            for (var, _) in &compose.urls {
                problems.push(format!(
                    "{COMPOSE_FILE} passes {var} to the backend but database = sqlite"
                ));
            }
        }
        Some(want) => {
            if !compose.urls.iter().any(|(v, _)| v == want) {
                problems.push(format!(
                    "database = {configured} but {COMPOSE_FILE} does not pass {want} to the backend: it would start on SQLite"
                ));
            }
            for (var, url) in &compose.urls {
                if var != want {
                    problems.push(format!(
                        "{COMPOSE_FILE} also passes {var}; the backend prefers POSTGRES_URL > MYSQL_URL > DATABASE_URL"
                    ));
                    continue;
                }
                // An external server: compose takes the URL (with its
                // password) from the shell or .env.docker.
                let resolved = if url.starts_with("${") {
                    match p.docker_var(var) {
                        Some(v) => v.value,
                        None => {
                            problems.push(format!(
                                "{var} is empty in {ENV_DOCKER}: the backend would start on SQLite"
                            ));
                            env_url_wrong = true;
                            continue;
                        }
                    }
                } else {
                    url.clone()
                };
                if let Some(why) = url_problem(var, &resolved) {
                    env_url_wrong |= url.starts_with("${");
                    problems.push(why);
                }
            }
        }
    }
    if problems.is_empty() {
        out.push(Check::pass(
            "database-url",
            match configured.url_var() {
                Some(var) => {
                    format!("the backend gets {var} without a database name or parameters")
                }
                None => "the backend uses SQLite on its data volume".into(),
            },
        ));
    } else {
        out.push(Check::fail(
            "database-url",
            problems.join("; "),
            if env_url_wrong {
                format!(
                    "set it in {ENV_DOCKER} to scheme://USER:PASSWORD@HOST:PORT, nothing after the port \
                     (percent-encode special characters in the password)"
                )
            } else {
                format!("re-render {COMPOSE_FILE} with {}", p.rerender())
            },
        ));
    }
    let Some(url_var) = configured.url_var() else {
        return;
    };

    // database-name: INSTANCE_NAME with '-' -> '_'.
    let instance = p
        .docker_var("INSTANCE_NAME")
        .map(|v| v.value)
        .unwrap_or_else(|| state.answers.name.clone());
    let db_name = sql_database_name(&instance);
    match name_problem(configured, &db_name) {
        None => out.push(Check::pass(
            "database-name",
            format!("the backend uses the database {db_name} (INSTANCE_NAME {instance})"),
        )),
        Some(why) => out.push(Check::fail(
            "database-name",
            why,
            format!(
                "set INSTANCE_NAME in {ENV_DOCKER} back to the project name {:?} (never change it after the first start)",
                state.answers.name
            ),
        )),
    }

    // database-password: the bundled service needs one.
    if compose.has_database_service {
        match p.env_docker.ok().and_then(|e| e.non_empty("DATABASE_PASSWORD")) {
            Some(_) => out.push(Check::pass(
                "database-password",
                format!("DATABASE_PASSWORD is set in {ENV_DOCKER}"),
            )),
            None => out.push(Check::warn(
                "database-password",
                format!("DATABASE_PASSWORD is empty or missing in {ENV_DOCKER}"),
                "run scripts/convex-up.sh: it generates one from the OS random source before the first start",
            )),
        }
    }

    // database-ssl: the bundled service speaks no TLS, so the requirement
    // must be off; a CA file given must reach the backend.
    // database-ssl: a CA file given must reach the backend (the TLS flag
    // itself is the ssl-flag check).
    let mut ssl = Vec::new();
    let mut ssl_fix = Vec::new();
    let ca_var = if configured == Database::Mysql {
        "MYSQL_CA_FILE"
    } else {
        "PG_CA_FILE"
    };
    if let Some(ca) = p.env_docker.ok().and_then(|e| e.non_empty(ca_var)) {
        if !compose.backend_env.iter().any(|k| k == ca_var) {
            ssl.push(format!(
                "{ca_var} is set in {ENV_DOCKER} but {COMPOSE_FILE} does not pass it to the backend"
            ));
            ssl_fix.push(format!(
                "add `{ca_var}: ${{{ca_var}:-}}` to the backend's environment"
            ));
        }
        let mounted = compose
            .backend_mounts
            .iter()
            .any(|m| m.split(':').nth(1).is_some_and(|t| ca.starts_with(t)) || m == ca);
        if !mounted {
            ssl.push(format!(
                "{ca_var}={ca} is not inside any volume of the backend container"
            ));
            ssl_fix.push(format!(
                "mount the CA file into the backend, e.g. `- ./certs/ca.pem:{ca}:ro` under its volumes"
            ));
        }
    }
    if ssl.is_empty() {
        out.push(Check::pass(
            "database-ssl",
            "no database CA file is configured, or it is passed to the backend and mounted",
        ));
    } else {
        out.push(Check::fail(
            "database-ssl",
            ssl.join("; "),
            ssl_fix.join("; "),
        ));
    }

    // database-exists (live): ask the bundled service.
    let Some((docker, timeout)) = live else {
        return;
    };
    if !compose.has_database_service || name_problem(configured, &db_name).is_some() {
        return;
    }
    out.push(exists_check(
        p, docker, configured, url_var, &db_name, timeout,
    ));
}

fn exists_check(
    p: &Project,
    docker: &str,
    database: Database,
    url_var: &str,
    db_name: &str,
    timeout: Duration,
) -> Check {
    let project = stack::project_name(p);
    let ids = stack::docker(
        docker,
        &[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
            "--filter",
            "label=com.docker.compose.service=database",
            "--filter",
            "status=running",
        ],
        timeout,
    );
    let id = match ids {
        Err(why) => {
            return Check::warn(
                "database-exists",
                format!("cannot ask Docker about the database service: {why}"),
                "start Docker, or run doctor with --offline",
            )
        }
        Ok(ids) => match ids.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(id) => id.to_owned(),
            None => {
                return Check::warn(
                    "database-exists",
                    format!("the {database} service of compose project {project} is not running"),
                    "start it with scripts/convex-up.sh",
                )
            }
        },
    };
    // The name passed the rule above: only [a-z0-9_], safe inside quotes.
    let query = match database {
        Database::Mysql => format!(
            "MYSQL_PWD=\"$MYSQL_ROOT_PASSWORD\" mysql -u root -N -B -e \"SELECT 1 FROM information_schema.schemata WHERE schema_name = '{db_name}'\""
        ),
        _ => format!(
            "psql -U convex -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = '{db_name}'\""
        ),
    };
    match stack::docker(docker, &["exec", &id, "sh", "-c", &query], timeout) {
        Ok(answer) if answer.trim() == "1" => Check::pass(
            "database-exists",
            format!("the database {db_name} exists in the {database} service"),
        ),
        Ok(_) => Check::fail(
            "database-exists",
            format!(
                "the database {db_name} does not exist in the {database} service: the backend cannot start on {url_var}"
            ),
            "run scripts/convex-up.sh: its database-init step creates it",
        ),
        Err(why) => Check::warn(
            "database-exists",
            format!("could not ask the {database} service: {why}"),
            "check `docker compose logs database`",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_a_database_name_pass_and_others_fail() {
        assert_eq!(
            url_problem(
                "POSTGRES_URL",
                "postgresql://convex:${DATABASE_PASSWORD:-}@database:5432"
            ),
            None
        );
        assert_eq!(
            url_problem("POSTGRES_URL", "postgres://u@db.example.com"),
            None
        );
        assert_eq!(url_problem("MYSQL_URL", "mysql://u:p@db:3306"), None);
        assert!(url_problem("POSTGRES_URL", "postgresql://u@db:5432/convex")
            .unwrap()
            .contains("db name"));
        assert!(url_problem("POSTGRES_URL", "postgresql://u@db:5432?sslmode=require").is_some());
        assert!(url_problem("POSTGRES_URL", "postgresql://db:5432")
            .unwrap()
            .contains("username"));
        assert!(url_problem("POSTGRES_URL", "mysql://u@db")
            .unwrap()
            .contains("scheme"));
        assert!(url_problem("MYSQL_URL", "db:3306").is_some());
    }

    #[test]
    fn database_names_follow_the_rule() {
        assert_eq!(name_problem(Database::Postgres, "my_app"), None);
        assert!(name_problem(Database::Postgres, "").is_some());
        assert!(name_problem(Database::Postgres, "My_app").is_some());
        assert!(name_problem(Database::Postgres, "a'b").is_some());
        assert!(name_problem(Database::Postgres, &"a".repeat(64)).is_some());
        assert_eq!(name_problem(Database::Mysql, &"a".repeat(64)), None);
    }
}
