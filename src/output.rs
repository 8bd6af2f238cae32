//! The one output module: where results go (a file, a report folder or standard output), the checks
//! made before anything is written, atomic writes, and checksums.
//!
//! Rules every command follows through this module:
//! - `-` names standard output ([`Destination::Stdout`]); what goes there is spooled to a temporary
//!   file and copied once complete, so a run that fails half-way prints nothing on standard output;
//! - an output is never one of the inputs (paths compared after resolving links and `.`/`..`), and
//!   two outputs of one run are never the same file;
//! - an existing output is replaced only with `--force`, and only if it is a regular file (a device,
//!   a FIFO or a link to one is never replaced); a folder only if it is empty or was written by
//!   kddstat (it holds [`FOLDER_MARKER`]);
//! - data goes to a temporary sibling that is renamed over the destination once complete, so an
//!   interrupted or failed run leaves the previous output as it was. Without `--force` the rename
//!   refuses to replace a file that appeared meanwhile (`link`/`renameat2(RENAME_NOREPLACE)`); a
//!   folder is swapped in with `renameat2(RENAME_EXCHANGE)` on Linux, so there is no moment without
//!   a report (elsewhere two renames, with a short window in between);
//! - a new file gets the mode the umask allows (0644 under the usual 022); a replaced file keeps its
//!   mode;
//! - on SIGINT/SIGTERM the temporary files and folders of the run are removed
//!   ([`install_interrupt_cleanup`]);
//! - missing parent folders of a file or a folder output are created.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The file that marks a folder as written by kddstat, so that `--force` may replace it.
pub const FOLDER_MARKER: &str = ".kddstat-report";

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (`-` on the command line).
    Stdout,
    /// A file.
    File(PathBuf),
}

impl Destination {
    /// `-` (or `/dev/stdout`) is standard output; anything else a path.
    pub fn from_arg(arg: &Path) -> Destination {
        if arg.as_os_str() == "-" || arg.as_os_str() == "/dev/stdout" {
            Destination::Stdout
        } else {
            Destination::File(arg.to_path_buf())
        }
    }

    /// The path, for a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Destination::Stdout => None,
            Destination::File(p) => Some(p),
        }
    }

    /// The name shown in messages.
    pub fn display(&self) -> String {
        match self {
            Destination::Stdout => "<stdout>".to_string(),
            Destination::File(p) => p.display().to_string(),
        }
    }
}

/// SHA-256 of some bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A path resolved as far as it exists: the existing part canonicalised, the rest appended, so a
/// file that does not exist yet still compares equal to another spelling of the same place.
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let mut missing = Vec::new();
    let mut cur = path.to_path_buf();
    while let Some(name) = cur.file_name() {
        missing.push(name.to_os_string());
        let parent = parent_of(&cur);
        if let Ok(p) = fs::canonicalize(&parent) {
            let mut out = p;
            out.extend(missing.iter().rev());
            return out;
        }
        if parent == cur {
            break;
        }
        cur = parent;
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Checks that no two outputs of one run are the same file (or one inside the other, for folders).
pub fn check_distinct(outputs: &[&Path]) -> Result<()> {
    let resolved: Vec<PathBuf> = outputs.iter().map(|p| resolve(p)).collect();
    for (i, a) in resolved.iter().enumerate() {
        for (j, b) in resolved.iter().enumerate() {
            if i != j && (a == b || (i < j && (a.starts_with(b) || b.starts_with(a)))) {
                return Err(Error::Usage(format!(
                    "{} and {}: two outputs of one run must be different files",
                    outputs[i].display(),
                    outputs[j].display()
                )));
            }
        }
    }
    Ok(())
}

/// The file an input argument reads: itself, or for `ARCHIVE.zip:MEMBER` the archive (an output
/// written over the archive would replace every member).
fn input_file(input: &Path) -> Option<PathBuf> {
    if let Ok(p) = fs::canonicalize(input) {
        return Some(p);
    }
    let text = input.to_str()?;
    text.match_indices(':')
        .map(|(i, _)| Path::new(&text[..i]))
        .find(|archive| archive.is_file())
        .and_then(|archive| fs::canonicalize(archive).ok())
}

/// Checks that no output is one of the inputs (an archive member's archive included), inside an
/// input folder, or holds an input.
fn check_not_input(out: &Path, inputs: &[&Path]) -> Result<()> {
    let target = resolve(out);
    // Inputs that do not exist cannot be written over (reading them fails later).
    for input in inputs {
        let Some(p) = input_file(input) else {
            continue;
        };
        if p == target {
            return Err(Error::Usage(format!(
                "{}: is an input; kddstat never writes over its input",
                out.display()
            )));
        }
        if p.starts_with(&target) {
            return Err(Error::Usage(format!(
                "{}: holds the input {}; kddstat never replaces its input",
                out.display(),
                input.display()
            )));
        }
        if p.is_dir() && target.starts_with(&p) {
            return Err(Error::Usage(format!(
                "{}: is inside the input folder {}, whose files are all read; write it elsewhere",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Checks that the nearest existing ancestor of `out` is a folder (missing ones are created when
/// writing).
fn check_parent(out: &Path) -> Result<()> {
    let mut parent = parent_of(out);
    loop {
        match fs::metadata(&parent) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "{}: {} is not a folder",
                    out.display(),
                    parent.display()
                )));
            }
            Err(_) => match parent.parent() {
                Some(p) if !p.as_os_str().is_empty() => parent = p.to_path_buf(),
                _ => return Ok(()),
            },
        }
    }
}

/// Checks that the file `out` may be written: not an input, not a folder, not something other than
/// a regular file, not an existing file without `force`.
pub fn check_file(out: &Path, inputs: &[&Path], force: bool) -> Result<()> {
    let shown = out.display().to_string();
    check_not_input(out, inputs)?;
    check_parent(out)?;
    // Follow links: what matters is what would be replaced.
    match fs::metadata(out) {
        Ok(m) if m.is_dir() => Err(Error::Usage(format!("{shown}: is a directory"))),
        Ok(m) if !m.is_file() => Err(Error::Usage(format!(
            "{shown}: is not a regular file (a device, FIFO or socket); kddstat replaces only \
             regular files (use -o - for standard output)"
        ))),
        Ok(_) if !force => Err(Error::Usage(format!(
            "{shown}: exists; use --force to replace it"
        ))),
        _ => match fs::symlink_metadata(out) {
            // A dangling link: writing would replace the link itself.
            Ok(m) if m.file_type().is_symlink() && fs::metadata(out).is_err() => Err(Error::Usage(
                format!("{shown}: is a broken symbolic link; remove it first"),
            )),
            _ => Ok(()),
        },
    }
}

/// Checks a destination ([`check_file`] for a file; standard output needs no check).
pub fn check_destination(out: &Destination, inputs: &[&Path], force: bool) -> Result<()> {
    match out {
        Destination::Stdout => Ok(()),
        Destination::File(p) => check_file(p, inputs, force),
    }
}

/// What a run printed, when it ran inside [`capture`] (the Python package runs commands so).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captured {
    /// What went to standard output.
    pub stdout: Vec<u8>,
    /// What went to standard error (warnings, summaries beside `-o -`), line by line.
    pub stderr: Vec<String>,
}

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with its standard output and standard error captured (on this thread; the commands
/// print only from the thread that runs them).
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Captured) {
    let before = CAPTURE.with(|c| c.replace(Some(Captured::default())));
    let out = f();
    let got = CAPTURE.with(|c| c.replace(before)).unwrap_or_default();
    (out, got)
}

/// Writes to standard output (or to the capture of [`capture`]).
pub fn stdout_write(bytes: &[u8]) -> Result<()> {
    let captured = CAPTURE.with(|c| {
        c.borrow_mut()
            .as_mut()
            .map(|cap| cap.stdout.extend_from_slice(bytes))
            .is_some()
    });
    if captured {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

/// Writes a message to standard error (or to the capture of [`capture`]).
pub fn stderr_write(text: &str) {
    let captured = CAPTURE.with(|c| {
        c.borrow_mut()
            .as_mut()
            .map(|cap| cap.stderr.extend(text.lines().map(String::from)))
            .is_some()
    });
    if !captured {
        eprint!("{text}");
    }
}

/// Temporary files and folders of this run, removed on SIGINT/SIGTERM.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn track(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.push(path.to_path_buf());
    }
}

fn untrack(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.retain(|q| q != path);
    }
}

/// Removes the run's temporary files and folders when the process is interrupted (SIGINT, SIGTERM),
/// then exits with status 130. Called once by the binary.
pub fn install_interrupt_cleanup() {
    let _ = ctrlc::set_handler(|| {
        if GRACEFUL.load(std::sync::atomic::Ordering::SeqCst)
            && !STOP.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            // A command that stops cleanly (live capture) ends at its next step; a second
            // signal exits at once.
            return;
        }
        if let Ok(pending) = PENDING.lock() {
            for p in pending.iter() {
                if p.is_dir() {
                    let _ = fs::remove_dir_all(p);
                } else {
                    let _ = fs::remove_file(p);
                }
            }
        }
        eprintln!("kddstat: interrupted; no output was changed");
        std::process::exit(130);
    });
}

static GRACEFUL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes the first SIGINT or SIGTERM a request to stop (see [`stop_requested`]) instead of an
/// exit: for commands that finish their outputs when told to stop.
pub fn stop_gracefully() {
    GRACEFUL.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether SIGINT or SIGTERM asked a graceful command to stop.
pub fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// An output written as it comes (live capture's records and alerts: a `tail -f` sees every line
/// once it is complete): standard output, or a new file (an existing one is replaced only with
/// `force`, checked by [`check_destination`] first).
pub fn appender(out: &Destination, force: bool) -> Result<Box<dyn Write + Send>> {
    match out {
        Destination::Stdout => Ok(Box::new(std::io::stdout())),
        Destination::File(p) => {
            let mut o = fs::OpenOptions::new();
            o.write(true);
            if force {
                o.create(true).truncate(true);
            } else {
                o.create_new(true);
            }
            let f = o.open(p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })?;
            Ok(Box::new(std::io::BufWriter::with_capacity(1 << 16, f)))
        }
    }
}

/// A file written in full to a temporary sibling, not yet in place.
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    out: PathBuf,
    force: bool,
}

/// The mode bits of a new file under the process's umask, learnt from a file the kernel created
/// with the default mode 0666.
#[cfg(unix)]
fn keep_or_default_mode(tmp: &tempfile::NamedTempFile, out: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match fs::metadata(out) {
        Ok(m) if m.is_file() => m.permissions().mode() & 0o7777,
        _ => return Ok(()), // created with 0666 & !umask already
    };
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn keep_or_default_mode(_tmp: &tempfile::NamedTempFile, _out: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes `out`'s content to a temporary sibling; [`Staged::commit`] puts it in place.
pub fn stage(
    out: &Path,
    force: bool,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<Staged> {
    let io = io_error(out);
    let parent = parent_of(out);
    fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".kddstat-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&parent).map_err(&io)?;
    track(tmp.path());
    let written = (|| {
        {
            let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
            // A write error names the file ("No space left on device" alone helps nobody).
            fill(&mut w).map_err(|e| match e {
                Error::Output(source) => io(source),
                other => other,
            })?;
            w.flush().map_err(&io)?;
        }
        keep_or_default_mode(&tmp, out).map_err(&io)?;
        tmp.as_file().sync_all().map_err(&io)
    })();
    if let Err(e) = written {
        untrack(tmp.path());
        return Err(e);
    }
    Ok(Staged {
        tmp,
        out: out.to_path_buf(),
        force,
    })
}

impl Staged {
    /// Renames the file into place. Without `force` it refuses a file that appeared since the
    /// check; with it, it still refuses anything but a regular file.
    pub fn commit(self) -> Result<()> {
        let out = self.out;
        let tmp_path = self.tmp.path().to_path_buf();
        let shown = out.display().to_string();
        let result = if self.force {
            if let Ok(m) = fs::metadata(&out)
                && !m.is_file()
            {
                untrack(&tmp_path);
                return Err(Error::Usage(format!(
                    "{shown}: is not a regular file; kddstat replaces only regular files"
                )));
            }
            self.tmp.persist(&out).map(|_| ())
        } else {
            self.tmp.persist_noclobber(&out).map(|_| ())
        };
        untrack(&tmp_path);
        result.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Usage(format!(
                    "{shown}: was created by something else during this run; use --force to replace it"
                ))
            } else {
                io_error(&out)(e.error)
            }
        })
    }
}

/// Writes `out` atomically (see [`stage`] and [`Staged::commit`]).
pub fn write_file(
    out: &Path,
    force: bool,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    stage(out, force, fill)?.commit()
}

/// Writes to a destination: a file atomically, or standard output.
pub fn write(
    out: &Destination,
    force: bool,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match out {
        Destination::File(p) => write_file(p, force, fill),
        Destination::Stdout => {
            // Spooled to an unnamed temporary file first: standard output gets all of the
            // output or, when the input turns out bad half-way, nothing (memory stays flat
            // whatever the size).
            use std::io::{Seek, SeekFrom};
            let mut spool = tempfile::tempfile().map_err(Error::Output)?;
            {
                let mut w = BufWriter::with_capacity(1 << 16, &mut spool);
                fill(&mut w)?;
                w.flush().map_err(Error::Output)?;
            }
            spool.seek(SeekFrom::Start(0)).map_err(Error::Output)?;
            let mut chunk = vec![0u8; 1 << 16];
            loop {
                let n = std::io::Read::read(&mut spool, &mut chunk).map_err(Error::Output)?;
                if n == 0 {
                    return Ok(());
                }
                stdout_write(&chunk[..n])?;
            }
        }
    }
}

/// Whether a folder was written by kddstat (it holds [`FOLDER_MARKER`], or a `summary.json` of a
/// kddstat report).
fn is_ours(dir: &Path) -> bool {
    if dir.join(FOLDER_MARKER).is_file() {
        return true;
    }
    fs::read(dir.join("summary.json")).is_ok_and(|b| {
        let head = &b[..b.len().min(4096)];
        String::from_utf8_lossy(head).contains("\"format\": \"kddstat-")
    })
}

/// Checks that a report folder may be written to `out`: not a file, never a folder holding an
/// input; an existing non-empty folder only with `force` and only if kddstat wrote it.
pub fn check_folder(out: &Path, inputs: &[&Path], force: bool) -> Result<()> {
    let shown = out.display().to_string();
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!("{shown}: exists and is not a folder")));
    }
    check_not_input(out, inputs)?;
    check_parent(out)?;
    if out.is_dir() {
        let empty = fs::read_dir(out).map_err(io_error(out))?.next().is_none();
        if !empty {
            if resolve(out) == resolve(Path::new(".")) || out.file_name().is_none() {
                return Err(Error::Usage(format!(
                    "{shown}: is the current folder or a root; name a folder for the report"
                )));
            }
            if !is_ours(out) {
                return Err(Error::Usage(format!(
                    "{shown}: exists and holds files kddstat did not write; kddstat replaces only \
                     an empty folder or a report of its own, --force or not"
                )));
            }
            if !force {
                return Err(Error::Usage(format!(
                    "{shown}: holds an earlier report; use --force to replace it"
                )));
            }
        }
    }
    Ok(())
}

/// Writes `files` (paths relative to the folder, with their bytes) as the folder `out`, replacing
/// it if it exists (the caller has checked with [`check_folder`]). The folder gets
/// [`FOLDER_MARKER`].
pub fn write_folder(out: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let parent = parent_of(out);
    fs::create_dir_all(&parent).map_err(io_error(&parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("{}: is not a folder name", out.display())))?;
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.kddstat-new-"))
        .tempdir_in(&parent)
        .map_err(io_error(&parent))?;
    track(temp.path());
    let filled = (|| {
        let marker = (
            FOLDER_MARKER.to_string(),
            b"written by kddstat; kddstat report --force may replace this folder\n".to_vec(),
        );
        for (rel, bytes) in files.iter().chain(std::iter::once(&marker)) {
            let path = temp.path().join(rel);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(io_error(dir))?;
            }
            fs::write(&path, bytes).map_err(io_error(&path))?;
        }
        set_folder_mode(temp.path())
    })();
    if let Err(e) = filled {
        untrack(temp.path());
        return Err(e);
    }
    let new = temp.keep();
    let placed = place_folder(&new, out, &parent, &name);
    untrack(&new);
    if placed.is_err() {
        let _ = fs::remove_dir_all(&new);
    }
    placed
}

/// Puts the finished folder `new` at `out`: a plain rename when `out` is absent, else an atomic
/// exchange (Linux) or two renames, then the old folder is deleted.
fn place_folder(new: &Path, out: &Path, parent: &Path, name: &str) -> Result<()> {
    if !out.exists() {
        return fs::rename(new, out).map_err(io_error(out));
    }
    // Checked again at the last moment: a folder that appeared or changed since the check at the
    // start is replaced only if it is still empty or a report of kddstat's.
    let empty = fs::read_dir(out).map_err(io_error(out))?.next().is_none();
    if !empty && !is_ours(out) {
        return Err(Error::Usage(format!(
            "{}: files that kddstat did not write appeared there during this run; nothing was replaced",
            out.display()
        )));
    }
    if exchange(new, out).is_ok() {
        // `new` now holds the old report.
        return fs::remove_dir_all(new).map_err(io_error(new));
    }
    let aside = tempfile::Builder::new()
        .prefix(&format!(".{name}.kddstat-old-"))
        .tempdir_in(parent)
        .map_err(io_error(parent))?
        .keep();
    fs::rename(out, &aside).map_err(io_error(out))?;
    if let Err(e) = fs::rename(new, out) {
        let _ = fs::rename(&aside, out);
        return Err(io_error(out)(e));
    }
    fs::remove_dir_all(&aside).map_err(io_error(&aside))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange here"))
}

/// Temporary folders are created private (0700); a report gets the mode the umask allows.
#[cfg(unix)]
fn set_folder_mode(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // A folder made with the default mode 0777 learns the umask.
    let probe = dir.join(".mode-probe");
    fs::create_dir(&probe).map_err(io_error(&probe))?;
    let mode = fs::metadata(&probe)
        .map_err(io_error(&probe))?
        .permissions()
        .mode()
        & 0o777;
    fs::remove_dir(&probe).map_err(io_error(&probe))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode)).map_err(io_error(dir))
}

#[cfg(not(unix))]
fn set_folder_mode(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn folders_replaced_only_when_ours_and_asked() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        check_folder(&out, &[], false).unwrap();
        write_folder(&out, &[("a/b.txt".into(), b"1".to_vec())]).unwrap();
        assert_eq!(fs::read(out.join("a/b.txt")).unwrap(), b"1");
        assert!(check_folder(&out, &[], false).is_err());
        check_folder(&out, &[], true).unwrap();
        write_folder(&out, &[("c.txt".into(), b"2".to_vec())]).unwrap();
        assert!(!out.join("a").exists());
        assert_eq!(fs::read(out.join("c.txt")).unwrap(), b"2");
        // Nothing is left beside it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let input = out.join("c.txt");
        let e = check_folder(&out, &[input.as_path()], true).unwrap_err();
        assert!(e.to_string().contains("input"), "{e}");
        // A folder of someone else's files is never replaced.
        let theirs = dir.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        fs::write(theirs.join("notes.txt"), b"mine").unwrap();
        let e = check_folder(&theirs, &[], true).unwrap_err();
        assert!(e.to_string().contains("did not write"), "{e}");
        fs::write(dir.path().join("f"), b"").unwrap();
        assert!(check_folder(&dir.path().join("f"), &[], true).is_err());
    }

    #[test]
    fn a_folder_filled_during_the_run_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r");
        check_folder(&out, &[], false).unwrap();
        // Someone else creates the folder between the check and the write.
        fs::create_dir(&out).unwrap();
        fs::write(out.join("theirs.txt"), b"keep").unwrap();
        let e = write_folder(&out, &[("index.html".into(), b"x".to_vec())]).unwrap_err();
        assert!(e.to_string().contains("appeared there"), "{e}");
        assert_eq!(fs::read(out.join("theirs.txt")).unwrap(), b"keep");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary folder left"
        );
    }

    #[test]
    fn files_keep_their_mode_and_refuse_late_arrivals() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub/x.csv");
        check_file(&out, &[], false).unwrap();
        let staged = stage(&out, false, |w| w.write_all(b"new").map_err(Error::Output)).unwrap();
        fs::write(&out, b"someone else's").unwrap();
        let e = staged.commit().unwrap_err();
        assert!(e.to_string().contains("created by something else"), "{e}");
        assert_eq!(fs::read(&out).unwrap(), b"someone else's");
        assert_eq!(fs::read_dir(out.parent().unwrap()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&out, fs::Permissions::from_mode(0o600)).unwrap();
            write_file(&out, true, |w| w.write_all(b"2").map_err(Error::Output)).unwrap();
            let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(check_file(Path::new("/dev/null"), &[], true).is_err());
        assert!(check_distinct(&[Path::new("a.csv"), Path::new("./a.csv")]).is_err());
        assert!(check_distinct(&[Path::new("a.csv"), Path::new("b.csv")]).is_ok());
    }
}
