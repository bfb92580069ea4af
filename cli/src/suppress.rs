//! The do-not-contact list on this computer: `localmerge suppress add|remove|list`, and the
//! check `preview` and `send` make before every campaign. The list is core's
//! (`localmerge_core::suppress`); this is only where it is kept — a text file in the user's
//! configuration directory (`~/.config/localmerge/suppress.txt` on Linux), or `--suppress FILE`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use localmerge_core::suppress::{Entry, Suppressions};

/// Which list.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// The do-not-contact list (default: suppress.txt in localmerge's configuration folder).
    #[arg(long = "suppress", value_name = "FILE", global = true)]
    pub file: Option<PathBuf>,
}

/// What to do with the list.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Add addresses (ada@example.org) or whole domains (@example.org).
    Add {
        /// The entries.
        #[arg(required = true, value_name = "ENTRY")]
        entries: Vec<String>,
    },
    /// Remove entries.
    Remove {
        /// The entries.
        #[arg(required = true, value_name = "ENTRY")]
        entries: Vec<String>,
    },
    /// Print the list, one entry per line.
    List,
}

/// The default list's path.
fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("localmerge").join("suppress.txt"))
}

/// The list `args` names: a named file must exist; the default one may not yet (empty).
pub fn load(args: &ListArgs) -> anyhow::Result<Suppressions> {
    let (path, named) = match &args.file {
        Some(p) => (p.clone(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Suppressions::default()),
        },
    };
    read(&path, named)
}

fn read(path: &Path, must_exist: bool) -> anyhow::Result<Suppressions> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(Suppressions::default());
        }
        Err(e) => return Err(e).with_context(|| format!("{}", path.display())),
    };
    Suppressions::parse(&text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}: {}", path.display(), lines.join("; "))
    })
}

/// Writes the list whole (never half a list after a crash).
fn write(path: &Path, list: &Suppressions) -> anyhow::Result<()> {
    crate::write_whole(path, list.to_text().as_bytes())
}

/// The file `args` names, for changing it.
fn path_of(args: &ListArgs) -> anyhow::Result<PathBuf> {
    args.file
        .clone()
        .or_else(default_path)
        .ok_or_else(|| anyhow::anyhow!("no configuration folder on this computer: pass --suppress FILE"))
}

/// Adds entries to the list `args` names; the list's path and how many were new.
pub fn add(args: &ListArgs, entries: impl IntoIterator<Item = Entry>) -> anyhow::Result<(PathBuf, usize)> {
    let path = path_of(args)?;
    let mut list = read(&path, false)?;
    let added = entries.into_iter().filter(|e| list.add(e.clone())).count();
    if added > 0 {
        write(&path, &list)?;
    }
    Ok((path, added))
}

/// `localmerge suppress …`.
pub fn run(action: &Action, args: &ListArgs) -> anyhow::Result<u8> {
    let path = path_of(args)?;
    let mut list = read(&path, false)?;
    let parse = |entries: &[String]| -> anyhow::Result<Vec<Entry>> {
        entries
            .iter()
            .map(|e| {
                Entry::parse(e)
                    .ok_or_else(|| anyhow::anyhow!("\"{e}\" is neither an email address nor @domain"))
            })
            .collect()
    };
    let mut err = std::io::stderr().lock();
    match action {
        Action::List => {
            let mut out = std::io::stdout().lock();
            for e in list.entries() {
                writeln!(out, "{e}")?;
            }
            return Ok(crate::OK);
        }
        Action::Add { entries } => {
            let entries = parse(entries)?;
            let added = entries.into_iter().filter(|e| list.add(e.clone())).count();
            write(&path, &list)?;
            writeln!(err, "{}: {added} added, {} listed", path.display(), list.len())?;
        }
        Action::Remove { entries } => {
            let entries = parse(entries)?;
            let removed = entries.iter().filter(|e| list.remove(e)).count();
            write(&path, &list)?;
            writeln!(err, "{}: {removed} removed, {} listed", path.display(), list.len())?;
        }
    }
    Ok(crate::OK)
}
