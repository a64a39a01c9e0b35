//! Ctrl-C at the interactive prompts, on a real pseudo-terminal: `script`
//! (util-linux, in Debian's essential bsdutils) runs `convex-scaffold new`
//! on a pty and forwards what the test writes as key presses. The terminal
//! must be left usable: exit 130, the cursor shown again, the message on a
//! line of its own, nothing written. tests/tty/ctrl-c-at-prompts.sh checks
//! the same through tmux, as a person sees it.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::Sandbox;

const SHOW_CURSOR: &str = "\x1b[?25h";
const HIDE_CURSOR: &str = "\x1b[?25l";

struct Session {
    child: std::process::Child,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    fn start(sb: &Sandbox, name: &str) -> Session {
        Session::run(sb, &format!("new {name}"))
    }

    /// `convex-scaffold ARGS` on a pty (ARGS: shell words, already quoted).
    fn run(sb: &Sandbox, args: &str) -> Session {
        let bin = assert_cmd::cargo::cargo_bin("convex-scaffold");
        let command = format!("'{}' {args}", bin.display());
        let mut child = Command::new("script")
            .args(["-qefc", &command, "/dev/null"])
            .current_dir(sb.tmp.path())
            .env("TERM", "xterm-256color")
            .env("COLUMNS", "120")
            .env("LINES", "30")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) runs the binary on a pty");
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Session { child, output }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits (at most 30 s) until the screen shows `needle`, then a moment
    /// more so the prompt is reading keys.
    fn wait_for(&self, needle: &str) {
        let start = Instant::now();
        while !self.text().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {needle:?} on the terminal; it shows:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
    }

    fn keys(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Exit status after the keys (at most 30 s).
    fn finish(self) -> (Option<i32>, String) {
        self.finish_after("Ctrl-C")
    }

    fn finish_after(mut self, what: &str) -> (Option<i32>, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (status.code(), self.text());
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("still running after {what}; terminal:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn assert_clean_exit(code: Option<i32>, screen: &str, sb: &Sandbox, name: &str) {
    assert_eq!(code, Some(130), "terminal:\n{screen:?}");
    let message = "error: interrupted; nothing was written";
    let at = screen
        .find(message)
        .unwrap_or_else(|| panic!("no {message:?} in {screen:?}"));
    assert!(
        screen[..at].ends_with('\n'),
        "the message is glued to the prompt line: {screen:?}"
    );
    assert_eq!(screen.matches(message).count(), 1, "{screen:?}");
    if let Some(hidden) = screen.rfind(HIDE_CURSOR) {
        assert!(
            screen[hidden..].contains(SHOW_CURSOR),
            "the cursor stays hidden: {screen:?}"
        );
    }
    assert!(!sb.path(name).exists(), "something was written");
}

#[test]
fn ctrl_c_at_the_text_prompt_leaves_a_clean_terminal() {
    let sb = Sandbox::new();
    let mut session = Session::start(&sb, "typed");
    session.wait_for("name");
    session.keys("abc");
    std::thread::sleep(Duration::from_millis(200));
    session.keys("\x03");
    let (code, screen) = session.finish();
    assert_clean_exit(code, &screen, &sb, "typed");
}

#[test]
fn ctrl_c_at_a_list_prompt_shows_the_cursor_again() {
    let sb = Sandbox::new();
    let mut session = Session::start(&sb, "listed");
    session.wait_for("name");
    session.keys("\r");
    session.wait_for("package_manager");
    session.keys("\x03");
    let (code, screen) = session.finish();
    assert!(
        screen.contains(HIDE_CURSOR),
        "the list prompt hid no cursor"
    );
    assert_clean_exit(code, &screen, &sb, "listed");
}

#[test]
fn prompts_describe_each_key_and_show_its_default() {
    let sb = Sandbox::new();
    let mut session = Session::start(&sb, "described");
    session.wait_for("name");
    session.keys("\r");
    session.wait_for("package_manager");
    session.keys("\x03");
    let (_, screen) = session.finish();
    assert!(
        screen.contains("name: project name") && screen.contains("(described)"),
        "{screen:?}"
    );
    assert!(
        screen.contains("package_manager: package manager of the project [default: pnpm]"),
        "{screen:?}"
    );
    assert!(
        !screen.contains("()"),
        "an empty default shown as (): {screen:?}"
    );
}

#[test]
fn diagnose_on_a_terminal_asks_for_the_log_instead_of_waiting_silently() {
    let sb = Sandbox::new();
    let mut session = Session::run(&sb, "diagnose");
    // Before anything is typed, the terminal says what to do.
    session.wait_for("Ctrl-D");
    let prompt = session.text();
    assert!(prompt.contains("paste"), "{prompt:?}");
    session.keys(
        "Error: Database was initialized with Some(S3 { bucket: \"x\" }), but backend started up with Local\r",
    );
    session.keys("\x04");
    let (code, screen) = session.finish_after("Ctrl-D");
    assert_eq!(code, Some(1), "a known issue was pasted: {screen:?}");
    assert!(screen.contains("storage-type-mismatch"), "{screen:?}");
}

/// Into an existing app without a frontend package, the frontend prompt is
/// still asked, offering `none` first (what `--yes` takes).
#[test]
fn the_frontend_prompt_offers_none_for_an_app_without_a_frontend() {
    let sb = Sandbox::new();
    let app = sb.tmp.path().join("api");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package.json"),
        "{\"name\":\"api\",\"dependencies\":{\"express\":\"^4.19.0\"}}\n",
    )
    .unwrap();
    let mut session = Session::run(
        &sb,
        "new api --force --set name=api --set package_manager=npm",
    );
    session.wait_for("frontend:");
    session.keys("\x03");
    let (_, screen) = session.finish();
    assert!(
        screen.contains("frontend: frontend whose Convex URL variable is set [default: none]"),
        "{screen:?}"
    );
}
