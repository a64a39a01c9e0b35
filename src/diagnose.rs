//! `convex-scaffold diagnose`: recognise known self-hosted Convex / Coder
//! problems in logs, CLI output and browser console lines.
//!
//! The knowledge lives in `templates/data/known-issues.toml` (embedded at
//! build time). [`scan`] streams any reader through a small cleaner (ANSI
//! escapes removed, other control bytes turned into spaces, invalid UTF-8
//! kept as bytes) and matches the cleaned lines against every pattern of the
//! catalogue with one [`RegexSet`].
//!
//! Cost and memory: input is read through a `BufRead` in 64 KiB chunks and
//! cleaned into a block of at most ~128 KiB. A block that the whole set does
//! not match (the usual case for healthy logs) is skipped in one DFA pass;
//! only a block that matches is split into lines. Of a line longer than
//! `MAX_KEEP` (32 KiB) bytes only the last `OVERLAP` (4 KiB) bytes are carried into the
//! next block, so memory stays constant whatever the line length; a pattern
//! match longer than `OVERLAP` that straddles such a cut can be missed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

/// The embedded catalogue.
const CATALOGUE_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/templates/data/known-issues.toml"
));

/// Cleaned bytes gathered before the block is matched.
const BLOCK: usize = 64 * 1024;
/// An unfinished line longer than this is cut down to its last [`OVERLAP`] bytes.
const MAX_KEEP: usize = 32 * 1024;
/// Bytes of a cut line carried into the next block.
const OVERLAP: usize = 4 * 1024;
/// Bytes of the matching line kept for display.
const SHOW: usize = 300;
/// Bytes shown before the match when a long line is shortened.
const SHOW_BEFORE: usize = 80;
/// Longest escape sequence honoured; longer ones are abandoned.
const MAX_CSI: usize = 64;
const MAX_STRING_ESCAPE: usize = 4096;
/// Version of the `--json` shape.
const JSON_SCHEMA: u32 = 1;

/// One entry of the known-issues catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KnownIssue {
    /// Stable kebab-case id, cited by the doctor.
    pub id: String,
    pub title: String,
    /// Regular expressions (bytes, ASCII classes, case-sensitive unless they
    /// start with `(?i)`) matched against cleaned lines.
    pub patterns: Vec<String>,
    /// Two sentences.
    pub cause: String,
    /// Shell commands; items starting with `#` are instructions.
    pub fix: Vec<String>,
    /// The same fix for a convex-scaffold project (`.env.docker`, the
    /// project's scripts and `upgrade`); when present, `fix` is the route
    /// for other setups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub project_fix: Vec<String>,
    /// The doctor check that detects the cause beforehand, if any.
    #[serde(default)]
    pub check: Option<String>,
    /// Public links backing the entry (may be empty or left out).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A catalogue entry recognised in the input.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub issue: &'static KnownIssue,
    /// 1-based number of the first matching line.
    pub line_number: u64,
    /// That line, cleaned and shortened to about 300 bytes around the match
    /// (`…` marks cut ends).
    pub line: String,
    /// Further lines that matched the same entry.
    pub more_matches: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    issue: Vec<KnownIssue>,
}

/// All patterns of the catalogue, compiled.
struct Matcher {
    set: RegexSet,
    /// Per pattern, to locate the match for display.
    regexes: Vec<Regex>,
    /// Per pattern, the index of its issue.
    owner: Vec<usize>,
    /// Byte searches done by `regex` (memchr-backed, and optimised even in
    /// debug builds of this crate): line breaks, and bytes the cleaner rewrites.
    newline: Regex,
    special: Regex,
}

/// The parsed catalogue (parsed and validated once).
///
/// # Panics
/// If the embedded TOML is invalid; the unit tests rule that out.
pub fn catalogue() -> &'static [KnownIssue] {
    static CATALOGUE: OnceLock<Vec<KnownIssue>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        parse_catalogue(CATALOGUE_TOML)
            .unwrap_or_else(|e| panic!("embedded templates/data/known-issues.toml: {e}"))
    })
}

impl KnownIssue {
    /// The fix for a project made by convex-scaffold: `project_fix` when
    /// the entry has one, else the generic `fix`.
    pub fn fix_for_project(&self) -> &[String] {
        if self.project_fix.is_empty() {
            &self.fix
        } else {
            &self.project_fix
        }
    }
}

/// The catalogue entry with this id.
pub fn by_id(id: &str) -> Option<&'static KnownIssue> {
    catalogue().iter().find(|issue| issue.id == id)
}

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| {
        build_matcher(catalogue())
            .unwrap_or_else(|e| panic!("embedded templates/data/known-issues.toml: {e}"))
    })
}

/// Parse and validate a catalogue text.
fn parse_catalogue(text: &str) -> Result<Vec<KnownIssue>, String> {
    let file: CatalogueFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    for issue in &file.issue {
        let id = &issue.id;
        let kebab = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !kebab {
            return Err(format!("issue id {id:?} is not kebab-case"));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("issue id {id:?} appears twice"));
        }
        let blank = |s: &str| s.trim().is_empty();
        if blank(&issue.title) || blank(&issue.cause) {
            return Err(format!("issue {id}: empty title or cause"));
        }
        if issue.patterns.is_empty() || issue.patterns.iter().any(|p| blank(p)) {
            return Err(format!("issue {id}: needs at least one non-empty pattern"));
        }
        if issue.fix.is_empty() || issue.fix.iter().any(|f| blank(f)) {
            return Err(format!("issue {id}: needs at least one non-empty fix"));
        }
        if issue.project_fix.iter().any(|f| blank(f)) {
            return Err(format!("issue {id}: empty project_fix step"));
        }
        if let Some(source) = issue.sources.iter().find(|s| !s.starts_with("https://")) {
            return Err(format!(
                "issue {id}: source {source:?} is not a public https:// link (users see sources)"
            ));
        }
        if issue.check.as_deref().is_some_and(blank) {
            return Err(format!("issue {id}: empty check id"));
        }
    }
    build_matcher(&file.issue)?;
    Ok(file.issue)
}

fn build_matcher(issues: &[KnownIssue]) -> Result<Matcher, String> {
    let mut patterns = Vec::new();
    let mut owner = Vec::new();
    let mut regexes = Vec::new();
    for (index, issue) in issues.iter().enumerate() {
        for pattern in &issue.patterns {
            let regex = RegexBuilder::new(pattern)
                .unicode(false)
                .multi_line(true)
                .build()
                .map_err(|e| format!("issue {}: pattern {pattern:?}: {e}", issue.id))?;
            if regex.is_match(b"") {
                return Err(format!(
                    "issue {}: pattern {pattern:?} matches the empty line",
                    issue.id
                ));
            }
            patterns.push(pattern.as_str());
            owner.push(index);
            regexes.push(regex);
        }
    }
    let set = RegexSetBuilder::new(&patterns)
        .unicode(false)
        .multi_line(true)
        .dfa_size_limit(16 << 20)
        .build()
        .map_err(|e| e.to_string())?;
    let bytes = |pattern: &str| {
        RegexBuilder::new(pattern)
            .unicode(false)
            .build()
            .map_err(|e| e.to_string())
    };
    Ok(Matcher {
        set,
        regexes,
        owner,
        newline: bytes(r"\n")?,
        special: bytes(r"[\x00-\x08\x0B-\x1F\x7F]")?,
    })
}

/// Read `input` to its end and report every catalogue entry it matches,
/// each once, in order of first appearance.
pub fn scan<R: Read>(input: R) -> io::Result<Vec<Finding>> {
    let mut reader = BufReader::with_capacity(BLOCK, input);
    let mut scanner = Scanner::new(catalogue(), matcher());
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        scanner
            .cleaner
            .clean_into(chunk, &scanner.matcher.special, &mut scanner.block);
        reader.consume(len);
        if scanner.block.len() >= BLOCK {
            scanner.process(false);
        }
    }
    scanner.process(true);
    Ok(scanner.finish())
}

struct Scanner {
    issues: &'static [KnownIssue],
    matcher: &'static Matcher,
    cleaner: Cleaner,
    /// Cleaned bytes not yet matched; starts inside line `first_line`.
    block: Vec<u8>,
    first_line: u64,
    /// `block[0]` is not the start of its line (an earlier part was dropped).
    first_cut: bool,
    /// Entries already counted for line `first_line`.
    first_hits: Vec<bool>,
    /// Entries counted for the line being matched (other than the first).
    line_hits: Vec<bool>,
    found: Vec<Option<Finding>>,
}

impl Scanner {
    fn new(issues: &'static [KnownIssue], matcher: &'static Matcher) -> Self {
        Scanner {
            issues,
            matcher,
            cleaner: Cleaner::default(),
            block: Vec::with_capacity(2 * BLOCK),
            first_line: 1,
            first_cut: false,
            first_hits: vec![false; issues.len()],
            line_hits: vec![false; issues.len()],
            found: vec![None; issues.len()],
        }
    }

    /// Match the block; keep its unfinished last line unless `eof`.
    fn process(&mut self, eof: bool) {
        let block = &self.block;
        let any = self.matcher.set.is_match(block);
        // Lines ending in this block, and where the unfinished last line
        // starts (block.len() when the block ends with a newline).
        let (newlines, tail_start) = if any {
            self.match_lines(eof)
        } else {
            let mut newlines = 0;
            let mut tail_start = 0;
            for m in self.matcher.newline.find_iter(block) {
                newlines += 1;
                tail_start = m.end();
            }
            (newlines, tail_start)
        };
        if eof {
            self.block.clear();
            return;
        }
        if newlines > 0 {
            self.first_line += newlines;
            self.first_cut = false;
            if any && tail_start < self.block.len() {
                self.first_hits.copy_from_slice(&self.line_hits);
            } else {
                self.first_hits.fill(false);
            }
        }
        let tail_len = self.block.len() - tail_start;
        let keep_from = if tail_len > MAX_KEEP {
            self.first_cut = true;
            self.block.len() - OVERLAP
        } else {
            tail_start
        };
        self.block.drain(..keep_from);
    }

    /// Split a block that the set matched into lines and match each.
    fn match_lines(&mut self, eof: bool) -> (u64, usize) {
        let block = &self.block;
        let mut breaks = self.matcher.newline.find_iter(block);
        let mut newlines = 0u64;
        let mut start = 0;
        loop {
            let end = breaks.next().map_or(block.len(), |m| m.start());
            let last = end == block.len();
            let first = newlines == 0;
            let hits = if first {
                &mut self.first_hits
            } else {
                self.line_hits.fill(false);
                &mut self.line_hits
            };
            let line = Line {
                bytes: &block[start..end],
                number: self.first_line + newlines,
                cut_before: first && self.first_cut,
                cut_after: last && !eof,
            };
            match_line(self.matcher, self.issues, &line, hits, &mut self.found);
            if last {
                return (newlines, start);
            }
            newlines += 1;
            start = end + 1;
        }
    }

    fn finish(self) -> Vec<Finding> {
        let mut findings: Vec<(usize, Finding)> = self
            .found
            .into_iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (i, f)))
            .collect();
        findings.sort_by_key(|(i, f)| (f.line_number, *i));
        findings.into_iter().map(|(_, f)| f).collect()
    }
}

struct Line<'a> {
    bytes: &'a [u8],
    number: u64,
    cut_before: bool,
    cut_after: bool,
}

fn match_line(
    matcher: &Matcher,
    issues: &'static [KnownIssue],
    line: &Line<'_>,
    hits: &mut [bool],
    found: &mut [Option<Finding>],
) {
    if line.bytes.is_empty() || !matcher.set.is_match(line.bytes) {
        return;
    }
    for pattern in matcher.set.matches(line.bytes).iter() {
        let issue = matcher.owner[pattern];
        if hits[issue] {
            continue;
        }
        hits[issue] = true;
        match &mut found[issue] {
            Some(finding) => finding.more_matches += 1,
            slot @ None => {
                let (s, e) = matcher.regexes[pattern]
                    .find(line.bytes)
                    .map_or((0, 0), |m| (m.start(), m.end()));
                *slot = Some(Finding {
                    issue: &issues[issue],
                    line_number: line.number,
                    line: excerpt(line, s, e),
                    more_matches: 0,
                });
            }
        }
    }
}

/// The line, or about [`SHOW`] bytes of it around the match at `s..e`.
fn excerpt(line: &Line<'_>, s: usize, e: usize) -> String {
    let bytes = line.bytes;
    let mut from = 0;
    let mut to = bytes.len();
    if bytes.len() > SHOW {
        from = s.saturating_sub(SHOW_BEFORE).min(bytes.len() - SHOW);
        to = (from + SHOW).max(e.min(from + 2 * SHOW)).min(bytes.len());
        // Do not start or end inside a UTF-8 sequence.
        while from < to && from > 0 && (bytes[from] & 0xC0) == 0x80 {
            from += 1;
        }
        while to > from && to < bytes.len() && (bytes[to] & 0xC0) == 0x80 {
            to -= 1;
        }
    }
    let text = String::from_utf8_lossy(&bytes[from..to]);
    let mut out = String::with_capacity(text.len() + 8);
    if from > 0 || line.cut_before {
        out.push('…');
        out.push_str(text.trim_end());
    } else {
        out.push_str(text.trim());
    }
    if to < bytes.len() || line.cut_after {
        out.push('…');
    }
    out
}

fn is_special(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f
}

/// Streaming cleaner: drops ANSI/VT escape sequences (CSI, OSC, DCS and
/// two-byte escapes, also when split across reads) and turns control bytes
/// other than `\n` and `\t` (CR, NUL, BEL, …) into spaces.
#[derive(Default)]
struct Cleaner {
    state: EscState,
    len: usize,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum EscState {
    #[default]
    Text,
    /// After ESC.
    Esc,
    /// ESC followed by intermediate bytes (e.g. `ESC ( B`).
    Intermediate,
    /// Control Sequence: `ESC [` … final byte.
    Csi,
    /// OSC / DCS / SOS / PM / APC string, ended by BEL or `ESC \`.
    Str,
    /// ESC inside such a string.
    StrEsc,
}

impl Cleaner {
    /// Append `chunk`, cleaned, to `out`; `special` finds the bytes other
    /// than `\n` and `\t` below 0x20, and 0x7f.
    fn clean_into(&mut self, chunk: &[u8], special: &Regex, out: &mut Vec<u8>) {
        let mut i = 0;
        while i < chunk.len() {
            if self.state == EscState::Text {
                // Look at a few bytes directly (dense junk), then let the
                // regex skip long clean runs.
                let near = (i + 16).min(chunk.len());
                let mut next = i;
                while next < near && !is_special(chunk[next]) {
                    next += 1;
                }
                if next == near && near < chunk.len() {
                    next = special
                        .find_at(chunk, near)
                        .map_or(chunk.len(), |m| m.start());
                }
                out.extend_from_slice(&chunk[i..next]);
                i = next;
                if i == chunk.len() {
                    break;
                }
                if chunk[i] == 0x1b {
                    self.state = EscState::Esc;
                    self.len = 0;
                } else {
                    out.push(b' ');
                }
                i += 1;
                continue;
            }
            let b = chunk[i];
            if b == b'\n' && self.state != EscState::Text {
                // Never let an escape swallow a line break.
                self.state = EscState::Text;
                out.push(b'\n');
                i += 1;
                continue;
            }
            self.len += 1;
            let mut reprocess = false;
            self.state = match self.state {
                EscState::Text => unreachable!("handled above"),
                EscState::Esc => match b {
                    b'[' => EscState::Csi,
                    b']' | b'P' | b'X' | b'^' | b'_' => EscState::Str,
                    0x1b => EscState::Esc,
                    0x20..=0x2f => EscState::Intermediate,
                    0x30..=0x7e => EscState::Text,
                    _ => {
                        reprocess = true;
                        EscState::Text
                    }
                },
                EscState::Intermediate => match b {
                    0x20..=0x2f if self.len <= MAX_CSI => EscState::Intermediate,
                    0x30..=0x7e => EscState::Text,
                    _ => {
                        reprocess = true;
                        EscState::Text
                    }
                },
                EscState::Csi => match b {
                    0x20..=0x3f if self.len <= MAX_CSI => EscState::Csi,
                    0x40..=0x7e => EscState::Text,
                    0x1b => {
                        self.len = 0;
                        EscState::Esc
                    }
                    _ => {
                        reprocess = true;
                        EscState::Text
                    }
                },
                EscState::Str => match b {
                    0x07 => EscState::Text,
                    0x1b => EscState::StrEsc,
                    _ if self.len > MAX_STRING_ESCAPE => EscState::Text,
                    _ => EscState::Str,
                },
                EscState::StrEsc => match b {
                    b'\\' => EscState::Text,
                    _ => {
                        // A new escape sequence starts here.
                        self.len = 0;
                        reprocess = true;
                        EscState::Esc
                    }
                },
            };
            if !reprocess {
                i += 1;
            }
        }
    }
}

/// Human-readable report.
pub fn render_text(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    if findings.is_empty() {
        writeln!(out, "No known issue matched the input.")?;
        writeln!(
            out,
            "Run `convex-scaffold doctor` to check the project's configuration."
        )?;
        return Ok(());
    }
    let n = findings.len();
    writeln!(
        out,
        "{n} known issue{} found.",
        if n == 1 { "" } else { "s" }
    )?;
    for finding in findings {
        let issue = finding.issue;
        writeln!(out)?;
        writeln!(out, "[{}] {}", issue.id, issue.title)?;
        write!(out, "  line {}: {}", finding.line_number, finding.line)?;
        match finding.more_matches {
            0 => writeln!(out)?,
            1 => writeln!(out, "  (+1 more matching line)")?,
            m => writeln!(out, "  (+{m} more matching lines)")?,
        }
        writeln!(out, "  cause: {}", issue.cause)?;
        let steps = |out: &mut dyn Write, steps: &[String]| -> io::Result<()> {
            for step in steps {
                if step.starts_with('#') {
                    writeln!(out, "    {step}")?;
                } else {
                    writeln!(out, "    $ {step}")?;
                }
            }
            Ok(())
        };
        if issue.project_fix.is_empty() {
            writeln!(out, "  fix:")?;
            steps(out, &issue.fix)?;
        } else {
            writeln!(
                out,
                "  fix, in a project made by convex-scaffold (settings in .env.docker):"
            )?;
            steps(out, &issue.project_fix)?;
            writeln!(
                out,
                "  fix, in other setups (docker compose with a .env next to docker-compose.yml):"
            )?;
            steps(out, &issue.fix)?;
        }
        if let Some(check) = &issue.check {
            writeln!(
                out,
                "  doctor: check `{check}` of `convex-scaffold doctor` detects the cause"
            )?;
        }
        if !issue.sources.is_empty() {
            writeln!(out, "  sources: {}", issue.sources.join("; "))?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    matched: usize,
    findings: &'a [Finding],
}

/// Machine-readable report:
/// `{"schema_version":1,"matched":N,"findings":[{"issue":{id,title,patterns,cause,fix,project_fix?,check,sources},"line_number","line","more_matches"}]}`.
pub fn render_json(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    let report = JsonReport {
        schema_version: JSON_SCHEMA,
        matched: findings.len(),
        findings,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_is_valid() {
        let issues = parse_catalogue(CATALOGUE_TOML).expect("catalogue parses and validates");
        assert!(issues.len() >= 20, "catalogue shrank to {}", issues.len());
        let mut ids = std::collections::HashSet::new();
        for issue in &issues {
            assert!(ids.insert(issue.id.clone()), "duplicate id {}", issue.id);
            assert!(!issue.cause.trim().is_empty(), "{}: empty cause", issue.id);
            assert!(!issue.fix.is_empty(), "{}: no fix", issue.id);
            assert!(
                issue.sources.iter().all(|s| s.starts_with("https://")),
                "{}: a source is not a public link",
                issue.id
            );
            for p in &issue.patterns {
                RegexBuilder::new(p)
                    .unicode(false)
                    .build()
                    .unwrap_or_else(|e| panic!("{}: {p:?}: {e}", issue.id));
            }
        }
        assert_eq!(catalogue().len(), issues.len());
        assert_eq!(matcher().regexes.len(), matcher().set.len());
    }

    #[test]
    fn validation_rejects_broken_catalogues() {
        let ok = r#"
[[issue]]
id = "a"
title = "t"
patterns = ["x+y"]
cause = "c"
fix = ["f"]
sources = ["https://example.com/s"]
"#;
        assert!(parse_catalogue(ok).is_ok());
        let cases = [
            ok.replace("x+y", "x(y"),                               // bad regex
            ok.replace("fix = [\"f\"]", "fix = []"),                // no fix
            ok.replace("cause = \"c\"", "cause = \" \""),           // blank cause
            ok.replace("sources = [", "severity = 1\nsources = ["), // unknown key
            ok.replace("https://example.com/s", "notes.md §3"),     // not a public link
            ok.replace("x+y", "x*"),                                // matches every line
            format!("{ok}{ok}"),                                    // duplicate id
            ok.replace("id = \"a\"", "id = \"A b\""),               // not kebab-case
        ];
        for case in &cases {
            assert!(parse_catalogue(case).is_err(), "accepted:\n{case}");
        }
    }

    #[test]
    fn pins_issue_ids_exist() {
        // Ids used by templates/data/pins.toml in the main crate.
        for id in [
            "cli-1-26-reading-length",
            "cli-evaluate-push-404",
            "cli-missing-field-functions",
            "cli-canonical-urls",
        ] {
            assert!(by_id(id).is_some(), "{id} missing");
        }
        assert!(by_id("no-such-issue").is_none());
    }

    fn clean(input: &[u8], split: usize) -> Vec<u8> {
        let mut c = Cleaner::default();
        let mut out = Vec::new();
        for part in input.chunks(split.max(1)) {
            c.clean_into(part, &matcher().special, &mut out);
        }
        out
    }

    #[test]
    fn cleaner_strips_escapes_even_when_split() {
        let input = b"\x1b[1m\x1b[31m\xe2\x9c\x96 Error\x1b[39m: x\x1b]8;;http://a\x07link\x1b]8;;\x1b\\ end\r\n\x1b(Bok\x00!";
        let want = "✖ Error: xlink end \nok !".as_bytes();
        for split in 1..input.len() {
            assert_eq!(clean(input, split), want, "split at {split}");
        }
    }

    #[test]
    fn excerpt_centres_long_lines() {
        let mut bytes = vec![b'a'; 10_000];
        bytes.extend_from_slice(b"NEEDLE");
        bytes.extend_from_slice(&[b'b'; 10_000]);
        let line = Line {
            bytes: &bytes,
            number: 1,
            cut_before: false,
            cut_after: false,
        };
        let text = excerpt(&line, 10_000, 10_006);
        assert!(text.contains("NEEDLE"));
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert!(text.len() <= SHOW + 8);
    }
}
