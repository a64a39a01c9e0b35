//! The S3 endpoint's host must resolve here, and should resolve the same way
//! inside the backend container. Containers of an inner Docker daemon do
//! not inherit `/etc/hosts`, and Docker drops loopback nameservers from
//! `/etc/resolv.conf` (falling back to 8.8.8.8/8.8.4.4), so a name that only
//! resolves through those fails inside the backend ("dns error: failed to
//! lookup address information").

use std::net::{IpAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use super::{read_text, urls, Check, Loaded, Project};
use crate::answers::Storage;

/// The system files the DNS checks read (fixtures in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemFiles {
    pub resolv_conf: PathBuf,
    pub hosts: PathBuf,
    /// systemd-resolved's upstream list, which Docker uses instead of a
    /// `127.0.0.53` stub.
    pub systemd_resolv_conf: PathBuf,
}

impl Default for SystemFiles {
    fn default() -> Self {
        SystemFiles {
            resolv_conf: "/etc/resolv.conf".into(),
            hosts: "/etc/hosts".into(),
            systemd_resolv_conf: "/run/systemd/resolve/resolv.conf".into(),
        }
    }
}

/// The result of a name lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Addrs(Vec<IpAddr>),
    Failed(String),
    TimedOut,
}

/// Resolves with the system resolver in a thread, waiting at most `timeout`.
pub fn system_lookup(host: &str, port: u16, timeout: Duration) -> Lookup {
    let (tx, rx) = mpsc::channel();
    let host = host.to_owned();
    std::thread::spawn(move || {
        let result = (host.as_str(), port)
            .to_socket_addrs()
            .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>());
        let _ = tx.send(result);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Lookup::Addrs(addrs),
        Ok(Ok(_)) => Lookup::Failed("no address".into()),
        Ok(Err(e)) => Lookup::Failed(e.to_string()),
        Err(_) => Lookup::TimedOut,
    }
}

fn nameservers(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next()?.split('%').next()?.parse().ok())
                .flatten()
        })
        .collect()
}

/// The address `/etc/hosts` gives `host`, if it lists it.
fn hosts_entry(text: &str, host: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.split('#').next().unwrap_or("");
        let mut words = l.split_whitespace();
        let ip = words.next()?;
        words
            .any(|name| name.eq_ignore_ascii_case(host))
            .then(|| ip.to_owned())
    })
}

/// Why the name may not resolve inside containers, though it does here.
pub fn container_risks(host: &str, system: &SystemFiles) -> Vec<String> {
    let mut risks = Vec::new();
    if let Loaded::Ok(text) = read_text(&system.hosts) {
        if let Some(ip) = hosts_entry(&text, host) {
            risks.push(format!(
                "{host} comes from {} ({ip}), which containers do not inherit",
                system.hosts.display()
            ));
        }
    }
    if !host.contains('.') {
        risks.push(format!(
            "{host} is a single-label name: it resolves here through a search domain or /etc/hosts only"
        ));
    }
    if let Loaded::Ok(text) = read_text(&system.resolv_conf) {
        let servers = nameservers(&text);
        if !servers.is_empty() && servers.iter().all(IpAddr::is_loopback) {
            let stub = servers.iter().all(|s| *s == IpAddr::from([127, 0, 0, 53]));
            let upstream = match read_text(&system.systemd_resolv_conf) {
                Loaded::Ok(t) => nameservers(&t).iter().any(|s| !s.is_loopback()),
                _ => false,
            };
            if !(stub && upstream) {
                let list: Vec<String> = servers.iter().map(ToString::to_string).collect();
                risks.push(format!(
                    "{} lists only the loopback resolver {}: Docker drops it and gives containers 8.8.8.8/8.8.4.4, which do not know internal names",
                    system.resolv_conf.display(),
                    list.join(", ")
                ));
            }
        }
    }
    risks
}

/// The check for one endpoint URL, with the lookup injected.
pub fn endpoint_check(
    endpoint: &str,
    system: &SystemFiles,
    lookup: &dyn Fn(&str, u16) -> Lookup,
) -> Check {
    let url = match urls::parse(endpoint) {
        Ok(u) => u,
        Err(e) => {
            return Check::fail(
                "s3-dns",
                format!("S3_ENDPOINT_URL: {e}"),
                "write it as https://host[:port] (or http:// for a plain-HTTP MinIO)",
            )
        }
    };
    let host = url.host.as_str();
    let loopback_fix = "use an address the backend container can reach: the machine's LAN address, or host.docker.internal with `extra_hosts: [\"host.docker.internal:host-gateway\"]` on the backend service";
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if ip.is_loopback() {
            Check::fail(
                "s3-dns",
                format!("S3_ENDPOINT_URL points at {ip}: inside the backend container that is the container itself"),
                loopback_fix,
            )
            .issue("s3-dns-dispatch-failure")
        } else {
            Check::pass(
                "s3-dns",
                format!("S3_ENDPOINT_URL uses the address {ip} (no DNS needed)"),
            )
        };
    }
    let addrs = match lookup(host, url.port) {
        Lookup::Addrs(a) => a,
        Lookup::Failed(e) => {
            return Check::fail(
                "s3-dns",
                format!("the S3 endpoint host {host} does not resolve here ({e}); the backend fails with \"dns error: failed to lookup address information\""),
                "correct the host in S3_ENDPOINT_URL, or use an endpoint resolvable from this machine and its containers (or storage=local)",
            )
            .issue("s3-dns-dispatch-failure")
        }
        Lookup::TimedOut => {
            return Check::fail(
                "s3-dns",
                format!("the S3 endpoint host {host} did not resolve in time"),
                "check this machine's DNS (/etc/resolv.conf), or use an endpoint resolvable from this machine and its containers",
            )
            .issue("s3-dns-dispatch-failure")
        }
    };
    let shown: Vec<String> = addrs.iter().take(3).map(ToString::to_string).collect();
    if addrs.iter().all(IpAddr::is_loopback) {
        return Check::fail(
            "s3-dns",
            format!(
                "the S3 endpoint host {host} resolves to {}: inside the backend container that is the container itself",
                shown.join(", ")
            ),
            loopback_fix,
        )
        .issue("s3-dns-dispatch-failure");
    }
    let risks = container_risks(host, system);
    if risks.is_empty() {
        Check::pass(
            "s3-dns",
            format!(
                "the S3 endpoint host {host} resolves ({})",
                shown.join(", ")
            ),
        )
    } else {
        Check::warn(
            "s3-dns",
            format!(
                "the S3 endpoint host {host} resolves here ({}), but maybe not inside the backend container: {}",
                shown.join(", "),
                risks.join("; ")
            ),
            format!(
                "make it resolvable inside containers: `extra_hosts: [\"{host}:{}\"]` on the backend service, or a real resolver in \"dns\" of /etc/docker/daemon.json (the Coder template does this); scripts/convex-up.sh then verifies it from inside a container",
                addrs[0]
            ),
        )
        .issue("s3-dns-dispatch-failure")
    }
}

pub fn check(p: &Project, system: &SystemFiles, timeout: Duration, out: &mut Vec<Check>) {
    let s3 = p
        .state
        .as_ref()
        .is_some_and(|s| s.answers.storage == Storage::S3)
        || p.compose.ok().is_some_and(|c| c.passes_s3());
    if !s3 {
        return;
    }
    // Upstream reads it with env::var("S3_ENDPOINT_URL").ok()
    // (crates/aws_utils/src/lib.rs, every row through 94a42c3): a variable
    // that reaches the backend empty is the endpoint "", not "unset".
    let passed = p
        .compose
        .ok()
        .map(|c| c.backend_env.iter().any(|k| k == "S3_ENDPOINT_URL"));
    let Some(endpoint) = p.docker_var("S3_ENDPOINT_URL") else {
        if passed == Some(false) {
            out.push(Check::pass(
                "s3-dns",
                "docker-compose.yml passes no S3_ENDPOINT_URL: the backend uses AWS's regional endpoint",
            ));
        } else {
            out.push(
                Check::fail(
                    "s3-dns",
                    "S3_ENDPOINT_URL reaches the backend empty (docker-compose.yml passes it, .env.docker leaves it \
                     empty): the backend takes \"\" as its S3 endpoint, not AWS's, and every S3 request fails",
                    format!(
                        "set S3_ENDPOINT_URL in .env.docker to the store's URL, or for AWS run {} with \
                         `--set s3_endpoint_url=` so the compose file stops passing it",
                        if p.state.is_some() {
                            "`convex-scaffold upgrade`"
                        } else {
                            "`convex-scaffold new --force <DIR>`"
                        }
                    ),
                ),
            );
        }
        return;
    };
    out.push(endpoint_check(&endpoint.value, system, &|host, port| {
        system_lookup(host, port, timeout)
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    struct Fixture {
        _tmp: tempfile::TempDir,
        files: SystemFiles,
    }

    fn fixture(resolv: &str, hosts: &str, systemd: Option<&str>) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let files = SystemFiles {
            resolv_conf: tmp.path().join("resolv.conf"),
            hosts: tmp.path().join("hosts"),
            systemd_resolv_conf: tmp.path().join("systemd-resolv.conf"),
        };
        std::fs::write(&files.resolv_conf, resolv).unwrap();
        std::fs::write(&files.hosts, hosts).unwrap();
        if let Some(s) = systemd {
            std::fs::write(&files.systemd_resolv_conf, s).unwrap();
        }
        Fixture { _tmp: tmp, files }
    }

    const HOSTS: &str = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.1.2.3 minio.corp.example minio # added by hand\n";
    const REAL_RESOLVER: &str = "# generated\nnameserver 10.0.0.2\nsearch corp.example\n";

    fn resolves_to(ip: [u8; 4]) -> impl Fn(&str, u16) -> Lookup {
        move |_, _| Lookup::Addrs(vec![IpAddr::from(ip)])
    }

    #[test]
    fn public_name_with_a_real_resolver_passes() {
        let f = fixture(REAL_RESOLVER, HOSTS, None);
        let c = endpoint_check(
            "https://s3.example.com",
            &f.files,
            &resolves_to([192, 0, 2, 7]),
        );
        assert_eq!(c.status, Status::Pass, "{c:?}");
    }

    #[test]
    fn a_name_only_in_etc_hosts_warns() {
        let f = fixture(REAL_RESOLVER, HOSTS, None);
        let c = endpoint_check(
            "http://minio.corp.example:9000",
            &f.files,
            &resolves_to([10, 1, 2, 3]),
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("do not inherit"), "{}", c.message);
        assert!(
            c.fix
                .contains("extra_hosts: [\"minio.corp.example:10.1.2.3\"]"),
            "{}",
            c.fix
        );
        assert_eq!(c.issue.as_deref(), Some("s3-dns-dispatch-failure"));
    }

    #[test]
    fn a_loopback_only_resolver_warns_unless_systemd_has_upstreams() {
        let f = fixture("nameserver 127.0.0.11\noptions ndots:0\n", "", None);
        let c = endpoint_check(
            "https://s3.corp.example",
            &f.files,
            &resolves_to([10, 9, 9, 9]),
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.message.contains("loopback resolver 127.0.0.11"),
            "{}",
            c.message
        );

        let f = fixture("nameserver 127.0.0.53\n", "", Some("nameserver 10.0.0.2\n"));
        let c = endpoint_check(
            "https://s3.corp.example",
            &f.files,
            &resolves_to([10, 9, 9, 9]),
        );
        assert_eq!(c.status, Status::Pass, "{c:?}");

        let f = fixture(
            "nameserver 127.0.0.53\nnameserver ::1\n",
            "",
            Some("nameserver 127.0.0.1\n"),
        );
        let c = endpoint_check(
            "https://s3.corp.example",
            &f.files,
            &resolves_to([10, 9, 9, 9]),
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
    }

    #[test]
    fn a_single_label_name_warns() {
        let f = fixture(REAL_RESOLVER, "", None);
        let c = endpoint_check("http://minio:9000", &f.files, &resolves_to([10, 1, 2, 3]));
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("single-label"), "{}", c.message);
    }

    #[test]
    fn unresolvable_and_loopback_fail() {
        let f = fixture(REAL_RESOLVER, HOSTS, None);
        let c = endpoint_check("https://nope.example", &f.files, &|_, _| {
            Lookup::Failed("Name or service not known".into())
        });
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert_eq!(c.issue.as_deref(), Some("s3-dns-dispatch-failure"));
        let c = endpoint_check("https://slow.example", &f.files, &|_, _| Lookup::TimedOut);
        assert_eq!(c.status, Status::Fail, "{c:?}");
        let c = endpoint_check(
            "http://localhost:9000",
            &f.files,
            &resolves_to([127, 0, 0, 1]),
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        let c = endpoint_check("http://127.0.0.1:9000", &f.files, &|_, _| unreachable!());
        assert_eq!(c.status, Status::Fail, "{c:?}");
        let c = endpoint_check("http://192.0.2.1:9000", &f.files, &|_, _| unreachable!());
        assert_eq!(c.status, Status::Pass, "{c:?}");
        let c = endpoint_check("minio:9000", &f.files, &|_, _| unreachable!());
        assert_eq!(c.status, Status::Fail, "{c:?}");
    }

    #[test]
    fn the_real_resolver_fails_an_invalid_name_within_the_bound() {
        // RFC 6761: .invalid never resolves.
        let start = std::time::Instant::now();
        let r = system_lookup(
            "convex-scaffold-doctor.invalid",
            443,
            Duration::from_secs(2),
        );
        assert!(start.elapsed() < Duration::from_secs(3));
        assert!(matches!(r, Lookup::Failed(_) | Lookup::TimedOut), "{r:?}");
    }
}
