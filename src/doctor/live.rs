//! Live checks (skipped with `--offline`): the backend answers
//! `GET /version` on its local port and accepts the admin key of
//! `.env.local`. A tiny HTTP/1.1 GET over `TcpStream` with short timeouts,
//! so a missing backend is reported at once instead of hanging.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{Check, Project, Source, ENV_DOCKER, ENV_LOCAL};

/// Sends `GET path` and returns the status code (see [`request`]).
pub fn get_status(
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
    timeout: Duration,
) -> io::Result<u16> {
    request(addr, path, authorization, None, timeout).map(|(status, _)| status)
}

/// Sends `GET path` (no body) or `POST path` with a JSON body, and returns
/// the status code and the answer's body (at most 1 MiB; chunked answers
/// decoded). `timeout` bounds the connect and the whole exchange.
pub fn request(
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
    json_body: Option<&str>,
    timeout: Duration,
) -> io::Result<(u16, String)> {
    const LIMIT: usize = 1 << 20;
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))
    };
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_write_timeout(Some(remaining()?))?;
    let (method, extra) = match json_body {
        Some(body) => (
            "POST",
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ),
        ),
        None => ("GET", String::new()),
    };
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: convex-scaffold-doctor\r\nAccept: */*\r\n\
         {extra}{auth}Connection: close\r\n\r\n{}",
        json_body.unwrap_or("")
    );
    stream.write_all(request.as_bytes())?;
    // Read until the body is complete (Content-Length, or the last chunk)
    // or the server closes the connection.
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let not_http = || io::Error::new(io::ErrorKind::InvalidData, "the answer is not HTTP");
    let (head, body_start) = loop {
        if let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break (
                String::from_utf8_lossy(&answer[..split]).to_string(),
                split + 4,
            );
        }
        // Something else on the port (an SSH banner, say): say so at once.
        if answer.windows(2).any(|w| w == b"\r\n") && !answer.starts_with(b"HTTP/") {
            return Err(not_http());
        }
        stream.set_read_timeout(Some(remaining()?))?;
        let n = stream.read(&mut buf)?;
        if n == 0 || answer.len() > 64 * 1024 {
            return Err(not_http());
        }
        answer.extend_from_slice(&buf[..n]);
    };
    let mut status_line = head.lines().next().unwrap_or("").split_whitespace();
    let status = match (
        status_line.next(),
        status_line.next().and_then(|c| c.parse().ok()),
    ) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => code,
        _ => return Err(not_http()),
    };
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let length: Option<usize> = if chunked {
        None
    } else {
        header("content-length").and_then(|v| v.parse().ok())
    };
    let mut body = answer.split_off(body_start);
    loop {
        let complete = match length {
            Some(len) => body.len() >= len,
            None if chunked => dechunk(&body).is_some(),
            None => false,
        };
        if complete {
            break;
        }
        if body.len() > LIMIT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the answer is over 1 MiB",
            ));
        }
        stream.set_read_timeout(Some(remaining()?))?;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            if length.is_some() || chunked {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed before the answer was complete",
                ));
            }
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let content = match length {
        Some(len) => body[..len].to_vec(),
        None if chunked => dechunk(&body)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a broken chunked answer"))?,
        None => body,
    };
    Ok((status, String::from_utf8_lossy(&content).into_owned()))
}

/// The payload of an HTTP/1.1 chunked body.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// The backend's port on this machine: PORT in `.env.docker`, else 3210
/// (as scripts/convex-common.sh `local_api` does).
pub fn local_port(p: &Project) -> Result<u16, String> {
    match p.env_docker.ok().and_then(|e| e.non_empty("PORT")) {
        None => Ok(3210),
        Some(v) => v
            .parse()
            .map_err(|_| format!("PORT={v:?} in {ENV_DOCKER} is not a port number")),
    }
}

pub fn check(p: &Project, timeout: Duration, out: &mut Vec<Check>) {
    let port = match local_port(p) {
        Ok(port) => port,
        Err(e) => {
            out.push(Check::fail(
                "backend-version",
                e,
                format!("set PORT=3210 in {ENV_DOCKER}"),
            ));
            return;
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let api = format!("http://{addr}");
    let running = match get_status(addr, "/version", None, timeout) {
        Ok(200) => {
            out.push(Check::pass(
                "backend-version",
                format!("the backend answers {api}/version"),
            ));
            true
        }
        Ok(code) => {
            out.push(Check::fail(
                "backend-version",
                format!("{api}/version answers HTTP {code}: something else listens on port {port}, or the backend is failing"),
                "look at `docker compose logs backend`, then run scripts/convex-up.sh",
            ));
            false
        }
        Err(e) => {
            out.push(
                Check::warn(
                    "backend-version",
                    format!("the backend is not running: nothing answers {api}/version ({e})"),
                    "start it with scripts/convex-up.sh",
                )
                .issue("backend-unreachable"),
            );
            false
        }
    };
    if !running {
        out.push(Check::warn(
            "admin-key",
            "not checked: the backend is not running",
            "start it with scripts/convex-up.sh",
        ));
        return;
    }
    let Some(key) = p.local_var("CONVEX_SELF_HOSTED_ADMIN_KEY") else {
        out.push(Check::warn(
            "admin-key",
            format!("no CONVEX_SELF_HOSTED_ADMIN_KEY in {ENV_LOCAL} yet"),
            "run scripts/convex-up.sh (it writes a working admin key)",
        ));
        return;
    };
    let where_ = key.source.describe();
    let clear = match key.source {
        Source::Environment => "unset CONVEX_SELF_HOSTED_ADMIN_KEY in your environment".to_owned(),
        _ => format!("clear CONVEX_SELF_HOSTED_ADMIN_KEY in {ENV_LOCAL}"),
    };
    if key.value.chars().any(char::is_control) {
        out.push(Check::fail(
            "admin-key",
            format!("CONVEX_SELF_HOSTED_ADMIN_KEY {where_} holds control characters"),
            format!("{clear} and run scripts/convex-up.sh (it mints a new key)"),
        ));
        return;
    }
    let auth = format!("Convex {}", key.value);
    let mut accepted = false;
    out.push(
        match get_status(addr, "/api/check_admin_key", Some(&auth), timeout) {
            Ok(200) => {
                accepted = true;
                Check::pass(
                    "admin-key",
                    format!("the backend accepts the admin key {where_}"),
                )
            }
            Ok(401) => Check::fail(
                "admin-key",
                format!("the backend rejects the admin key {where_} (401 BadAdminKey): it was minted for another INSTANCE_NAME or INSTANCE_SECRET"),
                format!("{clear} and run scripts/convex-up.sh (it mints a new key)"),
            )
            .issue("bad-admin-key"),
            Ok(403) => Check::fail(
                "admin-key",
                format!("the key {where_} is not an admin key (403)"),
                format!("{clear} and run scripts/convex-up.sh (it mints a new key)"),
            )
            .issue("bad-admin-key"),
            Ok(code) => Check::fail(
                "admin-key",
                format!("{api}/api/check_admin_key answers HTTP {code}"),
                "look at `docker compose logs backend`",
            ),
            Err(e) => Check::warn(
                "admin-key",
                format!("{api}/api/check_admin_key did not answer ({e})"),
                "run scripts/convex-up.sh, then doctor again",
            ),
        },
    );
    if accepted {
        super::auth::check_live(p, addr, &key.value, timeout, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server that reads one request, writes `answer`, then keeps the
    /// connection open for `hold`.
    fn answer_once(answer: Vec<u8>, hold: Duration) -> (SocketAddr, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(&answer);
            std::thread::sleep(hold);
        });
        (addr, server)
    }

    #[test]
    fn an_answer_ends_at_its_length_on_a_connection_kept_open() {
        let (addr, server) = answer_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}\r\n".to_vec(),
            Duration::from_millis(1500),
        );
        let start = Instant::now();
        let (status, body) = request(
            addr,
            "/x",
            Some("Convex k"),
            None,
            Duration::from_millis(1000),
        )
        .unwrap();
        assert_eq!((status, body.as_str()), (200, "{}\r\n"));
        assert!(start.elapsed() < Duration::from_millis(900));
        server.join().unwrap();
    }

    #[test]
    fn another_protocol_on_the_port_is_named_at_once() {
        let (addr, server) = answer_once(
            b"SSH-2.0-OpenSSH_9.6\r\n".to_vec(),
            Duration::from_millis(1500),
        );
        let start = Instant::now();
        let err = get_status(addr, "/version", None, Duration::from_millis(1000)).unwrap_err();
        assert_eq!(err.to_string(), "the answer is not HTTP");
        assert!(start.elapsed() < Duration::from_millis(900));
        server.join().unwrap();
    }

    #[test]
    fn chunked_answers_are_joined_and_oversized_ones_refused() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").as_deref(),
            Some(&b"abcde"[..])
        );
        assert_eq!(dechunk(b"3\r\nabc\r\n"), None, "no last chunk yet");
        let big = 2 << 20;
        let mut answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {big}\r\n\r\n").into_bytes();
        answer.extend(std::iter::repeat_n(b'x', big));
        let (addr, server) = answer_once(answer, Duration::ZERO);
        let err = request(
            addr,
            "/x",
            Some("Convex k"),
            Some("{}"),
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(err.to_string().contains("over 1 MiB"), "{err}");
        server.join().unwrap();
    }

    #[test]
    fn a_silent_server_times_out_promptly() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let held = std::thread::spawn(move || {
            let conn = listener.accept();
            std::thread::sleep(Duration::from_millis(1500));
            drop(conn);
        });
        let start = Instant::now();
        let err = get_status(addr, "/version", None, Duration::from_millis(300)).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(1), "{err}");
        held.join().unwrap();
    }

    #[test]
    fn reads_the_status_line_and_sends_the_header() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 256];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8(req).unwrap()
        });
        let code = get_status(
            addr,
            "/api/check_admin_key",
            Some("Convex k|1"),
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(code, 401);
        let req = server.join().unwrap();
        assert!(req.starts_with("GET /api/check_admin_key HTTP/1.1\r\n"));
        assert!(req.contains("\r\nAuthorization: Convex k|1\r\n"));
    }
}
