//! Every shell command block in README.md and docs/*.md is run here, or is
//! marked as not runnable here, with the reason. Shared by every change to
//! the docs: a block that stops being true fails this test.
//!
//! A block is a fenced block whose info string is `sh`, `bash`, `shell` or
//! `console` (other languages, e.g. `toml` or `text`, are file contents or
//! output, not commands). The line just before the fence (blank lines
//! skipped) may hold one marker:
//!
//! - `<!-- not-runnable: REASON -->`: skipped; REASON must say why (it needs
//!   Docker, a Coder server, the npm registry, a terminal...).
//! - `<!-- exit: N -->`: run, and it must exit with N (e.g. 1: findings).
//!
//! Unmarked blocks must exit 0. Every fence names its language (`text` for
//! a listing), so a command block cannot slip through unlabeled. The blocks of one document run in order, in
//! one fresh folder, each with `bash -eu -o pipefail`, so a later block can
//! use what an earlier one made (`cd` does not carry over). The folder
//! stands in for a built clone: `convex-scaffold` on PATH and
//! `target/debug/convex-scaffold` are the binary under test, and
//! `cargo run [--release] [-q] -- ARGS` runs it
//! with ARGS (the same program, already built); every other `cargo` command
//! must be marked not runnable.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
struct Block {
    doc: String,
    line: usize,
    text: String,
    marker: Marker,
}

#[derive(Debug, PartialEq)]
enum Marker {
    Run {
        exit: i32,
    },
    NotRunnable(String),
    /// A fence without a language: refused.
    Unlabeled,
}

const SHELL_LANGS: [&str; 4] = ["sh", "bash", "shell", "console"];

fn blocks_of(doc: &str, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(fence) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f)) else {
            i += 1;
            continue;
        };
        let lang = trimmed[fence.len()..]
            .trim()
            .split([' ', ',', '{'])
            .next()
            .unwrap_or("");
        let start = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && !lines[i].trim_start().starts_with(fence) {
            body.push(lines[i]);
            i += 1;
        }
        i += 1;
        if lang.is_empty() {
            blocks.push(Block {
                doc: doc.to_owned(),
                line: start + 1,
                text: String::new(),
                marker: Marker::Unlabeled,
            });
            continue;
        }
        if !SHELL_LANGS.contains(&lang) {
            continue;
        }
        let before = lines[..start]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim());
        let marker = match before {
            Some(l) if l.starts_with("<!-- not-runnable:") => {
                let reason = l
                    .trim_start_matches("<!-- not-runnable:")
                    .trim_end_matches("-->")
                    .trim();
                Marker::NotRunnable(reason.to_owned())
            }
            Some(l) if l.starts_with("<!-- exit:") => {
                let n = l
                    .trim_start_matches("<!-- exit:")
                    .trim_end_matches("-->")
                    .trim();
                Marker::Run {
                    exit: n
                        .parse()
                        .unwrap_or_else(|_| panic!("{doc}:{start}: bad exit marker {l}")),
                }
            }
            _ => Marker::Run { exit: 0 },
        };
        blocks.push(Block {
            doc: doc.to_owned(),
            line: start + 1,
            text: body.join("\n"),
            marker,
        });
    }
    blocks
}

fn documents() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs = vec![PathBuf::from("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut more: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        more.sort();
        docs.extend(more);
    }
    docs.into_iter()
        .map(|rel| {
            let text = std::fs::read_to_string(root.join(&rel)).unwrap();
            (rel.display().to_string(), text)
        })
        .collect()
}

/// Runs `cargo run ... -- ARGS` as the binary under test; any other cargo
/// command fails the block (it must be marked not runnable).
const PRELUDE: &str = r#"
cargo() {
  if [ "${1:-}" != run ]; then
    echo "doc_commands: 'cargo $*' is not run by this test; mark the block <!-- not-runnable: REASON -->" >&2
    return 97
  fi
  shift
  while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
    case "$1" in --release|-q|--quiet|--locked) shift ;; *) echo "doc_commands: unknown cargo run option $1" >&2; return 97 ;; esac
  done
  [ "${1:-}" = -- ] && shift
  convex-scaffold "$@"
}
"#;

fn run_block(block: &Block, dir: &Path, bin_dir: &Path) -> std::process::Output {
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eu", "-o", "pipefail", "-c"])
        .arg(format!("{PRELUDE}\n{}", block.text))
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env("CI", "true")
        .env_remove("CONVEX_SCAFFOLD_TEST_FAIL_WRITE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash runs")
}

fn bin_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("convex-scaffold");
    std::os::unix::fs::symlink(bin, dir.join("convex-scaffold")).unwrap();
    dir
}

#[test]
fn every_command_block_in_the_docs_runs_or_says_why_not() {
    let tmp = tempfile::tempdir().unwrap();
    let bins = bin_dir(tmp.path());
    let mut failures = Vec::new();
    let mut ran = 0;
    for (doc, text) in documents() {
        let work = tmp.path().join(doc.replace('/', "_"));
        std::fs::create_dir_all(work.join("target/debug")).unwrap();
        std::os::unix::fs::symlink(
            assert_cmd::cargo::cargo_bin("convex-scaffold"),
            work.join("target/debug/convex-scaffold"),
        )
        .unwrap();
        for block in blocks_of(&doc, &text) {
            match &block.marker {
                Marker::Unlabeled => failures.push(format!(
                    "{}:{}: a fence without a language; use sh for commands (run by this test) or text",
                    block.doc, block.line
                )),
                Marker::NotRunnable(reason) => {
                    if reason.len() < 10 {
                        failures.push(format!(
                            "{}:{}: <!-- not-runnable: --> needs a reason (why it cannot run here)",
                            block.doc, block.line
                        ));
                    }
                }
                Marker::Run { exit } => {
                    ran += 1;
                    let out = run_block(&block, &work, &bins);
                    if out.status.code() != Some(*exit) {
                        failures.push(format!(
                            "{}:{}: exited {:?}, expected {exit}\n--- block\n{}\n--- stdout\n{}--- stderr\n{}",
                            block.doc,
                            block.line,
                            out.status.code(),
                            block.text,
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran > 0, "no command block ran: the harness found nothing");
}

/// README's "Develop" section holds exactly the two set-up commands.
#[test]
fn the_readme_develop_section_has_the_two_setup_commands() {
    let (_, readme) = documents().into_iter().next().unwrap();
    let develop = readme
        .split("\n## ")
        .find(|s| s.starts_with("Develop"))
        .expect("README.md has a '## Develop' section");
    let commands: Vec<String> = blocks_of("README.md", develop)
        .iter()
        .flat_map(|b| {
            b.text
                .lines()
                .map(|l| l.split(" #").next().unwrap_or("").trim())
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands.iter().any(|c| c == "cargo test"), "{commands:?}");
    assert!(
        commands.iter().any(|c| c.ends_with("new demo --yes")),
        "{commands:?}"
    );
}

#[test]
fn the_harness_reads_markers_and_fails_a_false_block() {
    let doc = "intro\n\n<!-- not-runnable: needs a Docker daemon -->\n```sh\n./scripts/convex-up.sh\n```\n\n\
               ```toml\nnot = \"a command\"\n```\n<!-- exit: 1 -->\n\n```bash\nfalse\n```\n```console\nexit 3\n```\n";
    let blocks = blocks_of("x.md", doc);
    assert_eq!(blocks.len(), 3, "{blocks:?}");
    assert_eq!(
        blocks_of("y.md", "```\nls\n```\n")[0].marker,
        Marker::Unlabeled
    );
    assert_eq!(
        blocks[0].marker,
        Marker::NotRunnable("needs a Docker daemon".into())
    );
    assert_eq!(blocks[1].marker, Marker::Run { exit: 1 });
    assert_eq!(blocks[2].marker, Marker::Run { exit: 0 });
    let tmp = tempfile::tempdir().unwrap();
    let bins = bin_dir(tmp.path());
    assert_eq!(
        run_block(&blocks[1], tmp.path(), &bins).status.code(),
        Some(1)
    );
    assert_eq!(
        run_block(&blocks[2], tmp.path(), &bins).status.code(),
        Some(3)
    );
    let cargo_test = Block {
        doc: "x.md".into(),
        line: 1,
        text: "cargo test".into(),
        marker: Marker::Run { exit: 0 },
    };
    assert_eq!(
        run_block(&cargo_test, tmp.path(), &bins).status.code(),
        Some(97)
    );
    let cargo_run = Block {
        doc: "x.md".into(),
        line: 1,
        text: "cargo run -- --version".into(),
        marker: Marker::Run { exit: 0 },
    };
    let out = run_block(&cargo_run, tmp.path(), &bins);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("convex-scaffold "),
        "{out:?}"
    );
}
