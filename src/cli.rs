//! Command-line interface (clap derive). Parsing only: every command is
//! carried out by the library module named after it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::answers::{upgrade_keys_help, ANSWER_KEYS_HELP};

#[derive(Debug, Parser)]
#[command(
    name = "convex-scaffold",
    version = version(),
    about = "Render a self-hosted Convex project and its Coder workspace template, with every known workaround applied",
    long_about = "Render a self-hosted Convex project (docker compose, env files, scripts, devcontainer, \
                  exact CLI pin) and a Coder workspace template, with every known workaround applied; \
                  upgrade it when pins move; diagnose what breaks.\n\n\
                  Exit codes: 0 success; 1 findings (conflicts, drift, failing checks, known issues \
                  diagnosed); 2 bad input or usage, nothing written; 3 operational failure (I/O); \
                  130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a new project into DIR (with its Coder template under DIR/coder/).
    #[command(after_long_help = ANSWER_KEYS_HELP)]
    New(GenerateArgs),
    /// Render only the Coder workspace template into DIR.
    #[command(after_long_help = ANSWER_KEYS_HELP)]
    Coder(GenerateArgs),
    /// Move pinned versions and re-render a project, keeping every user edit.
    #[command(after_long_help = upgrade_keys_help())]
    Upgrade(UpgradeArgs),
    /// Check a project for every known misconfiguration.
    Doctor(DoctorArgs),
    /// Recognise known failures in a log or CLI output (FILE or stdin).
    Diagnose(DiagnoseArgs),
    /// Print the pins, the release table with its evidence, the known-bad CLI
    /// versions and the compatibility rules.
    Pins,
    /// Print a shell completion script for bash, zsh, fish or powershell.
    #[command(after_long_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
}

// Kept under 80 columns a line so clap's wrapping never splits a command.
const COMPLETIONS_HELP: &str = "Load them for this shell session, or install them for good:\n  \
    bash:       source <(convex-scaffold completions bash)\n  \
    bash, saved (two lines):\n    \
    d=~/.local/share/bash-completion/completions && mkdir -p \"$d\"\n    \
    convex-scaffold completions bash > \"$d/convex-scaffold\"\n  \
    zsh:        convex-scaffold completions zsh > \"${fpath[1]}/_convex-scaffold\"\n  \
    fish:       d=~/.config/fish/completions && mkdir -p \"$d\"\n    \
    convex-scaffold completions fish > \"$d/convex-scaffold.fish\"\n  \
    powershell: convex-scaffold completions powershell | Out-String |\n    \
    Invoke-Expression";

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells the tool documents and tests (clap_complete also knows elvish;
/// it is left out until it is tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    #[value(name = "powershell")]
    PowerShell,
}

impl From<CompletionShell> for clap_complete::Shell {
    fn from(shell: CompletionShell) -> Self {
        match shell {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
            CompletionShell::PowerShell => clap_complete::Shell::PowerShell,
        }
    }
}

/// `--version`: the tool's version, the date its release table was last
/// checked against npm (`pins::table_date`) and the newest Convex release it
/// knows, e.g. `0.1.0 (release table of 2026-12-07, newest release 2026-06-26)`.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (release table of {}, newest release {})",
            env!("CARGO_PKG_VERSION"),
            crate::pins::table_date(),
            crate::pins::data().latest_release().date
        )
    })
}

/// `completions SHELL`: clap_complete's script for the whole command tree.
pub fn completions(shell: clap_complete::Shell) -> String {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "convex-scaffold", &mut out);
    let script = String::from_utf8(out).expect("clap_complete writes UTF-8");
    if shell == clap_complete::Shell::Bash {
        // clap_complete 4.6 spells the bash `case` arms of a hyphenated
        // binary's subcommands `convex__subcmd__scaffold__subcmd__new` while
        // its dispatch loop sets `convex__scaffold__subcmd__new`, so nothing
        // after a subcommand completes (clap-rs/clap#6421, open). Spell the
        // arms as the loop does; the bash completion test catches a change.
        script.replace(
            "convex__subcmd__scaffold__subcmd__",
            "convex__scaffold__subcmd__",
        )
    } else {
        script
    }
}

/// Where answers come from: defaults < --answers FILE < --set < prompts.
#[derive(Debug, Clone, Default, Args)]
pub struct AnswerArgs {
    /// Take defaults for every answer not given; never prompt.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Set an answer (repeatable), e.g. --set storage=s3; `--help` lists the keys.
    #[arg(
        long = "set",
        value_name = "KEY=VALUE",
        long_help = "Set an answer (repeatable), e.g. --set storage=s3. Keys: see below."
    )]
    pub set: Vec<String>,
    /// Read answers from a TOML file with the same keys (--set wins).
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Accept a convex CLI version or pin combination known to break.
    #[arg(long)]
    pub allow_known_bad: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Folder to render into (created when missing).
    pub dir: PathBuf,
    #[command(flatten)]
    pub answers: AnswerArgs,
    /// Render into a non-empty folder. Existing package.json and .gitignore
    /// are merged; secrets are kept; other replaced files are backed up.
    #[arg(long)]
    pub force: bool,
    /// Print what would be written (with diffs) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Render only the Convex Terraform module (with the project bundle in
    /// DIR/project/) into DIR: the `module` block to add to an existing Coder
    /// template is in DIR/README.md.
    #[arg(long)]
    pub module: bool,
    /// Pin backend, dashboard and CLI from a row of the release table: the
    /// release date (e.g. 2025-05-29, the first release known to work
    /// self-hosted, with CLI 1.24.8), at least 7
    /// characters of its backend SHA, or `latest` (see `convex-scaffold
    /// pins`). Pin keys given with --set or --answers win over the row.
    #[arg(long, value_name = "DATE|SHA|latest")]
    pub release: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    /// Project folder [default: the current folder].
    #[arg(default_value = ".", hide_default_value = true)]
    pub dir: PathBuf,
    /// Pin this convex CLI version.
    #[arg(long, value_name = "V")]
    pub convex_version: Option<String>,
    /// Pin this backend image (by SHA).
    #[arg(long, value_name = "REF")]
    pub backend_image: Option<String>,
    /// Pin this dashboard image (by SHA).
    #[arg(long, value_name = "REF")]
    pub dashboard_image: Option<String>,
    /// Move backend, dashboard and CLI to a row of the release table: the
    /// release date (e.g. 2026-06-26), at least 7 characters of its backend
    /// SHA, or `latest` for the newest row (see `convex-scaffold pins`).
    #[arg(long, value_name = "DATE|SHA|latest")]
    pub release: Option<String>,
    /// Change an answer (repeatable); `--help` lists the keys.
    #[arg(
        long = "set",
        value_name = "KEY=VALUE",
        long_help = "Change an answer (repeatable), e.g. --set storage=s3. Keys: see below."
    )]
    pub set: Vec<String>,
    /// Write nothing; exit 1 when the project differs from what upgrade would produce.
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of every change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept a convex CLI version or pin combination known to break.
    #[arg(long)]
    pub allow_known_bad: bool,
    /// Allow moving the backend to an older release. Safe on a project whose
    /// stack has never started, or after its data is reset
    /// (scripts/convex-reset.sh): the backend migrates its data forward only.
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Allow a storage change (local <-> s3) or a database change (sqlite,
    /// postgres, mysql): the backend locks both at its first start, so run
    /// scripts/convex-reset.sh afterwards (it exports a backup, then starts
    /// the backend fresh).
    #[arg(long)]
    pub reset_data: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Project folder [default: the current folder].
    #[arg(default_value = ".", hide_default_value = true)]
    pub dir: PathBuf,
    /// Skip the live checks: the pinned images on this machine or the
    /// registry (docker image/manifest inspect), and the running backend.
    #[arg(long)]
    pub offline: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiagnoseArgs {
    /// Log or CLI output to read (default: standard input).
    pub file: Option<PathBuf>,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}
