//! Checked output for the command line: nothing the CLI prints may panic.
//!
//! `println!` and `eprintln!` panic when the stream cannot be written (a full device, a closed
//! terminal). Instead:
//!
//! - stdout goes through [`out`], which reports failure; a command that cannot write its
//!   stdout exits 3 (output error) after saying so on stderr. A closed pipe (the reader, say
//!   `head -1`, has seen enough) is not a failure: the command ends with the code it would have
//!   had anyway.
//! - stderr goes through [`warn`], which ignores failure: there is nowhere left to report it,
//!   and the exit code still tells.
//!
//! This module also refuses output paths that name the same file ([`distinct_paths`]), before
//! anything is created or truncated.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `text` to stdout and flushes it. `Ok` also when the reader has closed the pipe.
pub fn out(text: fmt::Arguments) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    ignore_closed_pipe(stdout.write_fmt(text).and_then(|()| stdout.flush()))
}

/// A closed pipe is the reader's choice, not an output error.
pub fn ignore_closed_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes `text` and a newline to stderr, ignoring failure.
pub fn warn(text: fmt::Arguments) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_fmt(text).and_then(|()| stderr.write_all(b"\n"));
}

/// Reports that stdout could not be written; the caller exits 3.
pub fn stdout_failed(what: &str, e: &io::Error) {
    warn(format_args!("switchyard{what}: cannot write to standard output: {e}"));
}

/// Prints a command-line parsing outcome (an error, or `--help` / `--version`) and returns the
/// exit code: clap's own (2 for bad arguments, 0 for help), or 3 when stdout cannot take the help.
pub fn clap_error(e: &clap::Error) -> u8 {
    let printed = e.print().and_then(|()| io::stdout().flush());
    match ignore_closed_pipe(printed) {
        Err(err) if !e.use_stderr() => {
            stdout_failed("", &err);
            3
        }
        _ => u8::try_from(e.exit_code()).unwrap_or(2),
    }
}

/// A path the run reads or writes, with the option that named it.
pub struct Named<'a> {
    pub option: &'a str,
    pub path: &'a Path,
}

/// `Err` naming both options when two of `paths` are the same file: the same path spelled
/// differently (`./x` and `x`), a symbolic link to the other, or a hard link to it. A path
/// that does not exist yet is compared by its canonical directory and file name.
pub fn distinct_paths(paths: &[Named]) -> Result<(), String> {
    let ids: Vec<Option<FileId>> = paths.iter().map(|n| FileId::of(n.path)).collect();
    for (i, a) in paths.iter().enumerate() {
        for (j, b) in paths.iter().enumerate().skip(i + 1) {
            if let (Some(x), Some(y)) = (&ids[i], &ids[j])
                && x.same(y)
            {
                return Err(format!(
                    "{} {} and {} {} are the same file; refusing to overwrite it",
                    a.option,
                    a.path.display(),
                    b.option,
                    b.path.display()
                ));
            }
        }
    }
    Ok(())
}

/// What identifies a file: its canonical path, and its device and inode when it exists.
struct FileId {
    canonical: PathBuf,
    inode: Option<(u64, u64)>,
}

impl FileId {
    /// `None` when the path is not (or would not be) a regular file, or cannot be resolved at
    /// all (its directory does not exist: opening it will fail with its own message).
    fn of(path: &Path) -> Option<FileId> {
        if let Ok(canonical) = path.canonicalize() {
            // Writing a device or a pipe twice (`/dev/null`, say) overwrites nothing.
            if !std::fs::metadata(&canonical).is_ok_and(|m| m.is_file()) {
                return None;
            }
            return Some(FileId { inode: inode(&canonical), canonical });
        }
        // Not there yet: the file it would be is its name in its (canonical) directory.
        let name = path.file_name()?;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(FileId { canonical: parent.canonicalize().ok()?.join(name), inode: None })
    }

    fn same(&self, other: &FileId) -> bool {
        self.canonical == other.canonical || (self.inode.is_some() && self.inode == other.inode)
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<(u64, u64)> {
    None
}
