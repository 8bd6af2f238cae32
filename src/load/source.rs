//! Getting the bytes of an input: a file, standard input, a `.gz` stream or an entry of a `.zip`
//! archive, recognised by their content (magic bytes), not by their names.

use std::fs;
use std::io::{self, Cursor, Read};

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Where to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A path on disk, as the user gave it.
    Path(String),
    /// A member of a zip archive on disk: `ARCHIVE.zip:MEMBER` on the command line.
    Member {
        /// The archive's path, as the user gave it.
        archive: String,
        /// The member's name (full name or base name).
        member: String,
    },
    /// Standard input (`-` on the command line).
    Stdin,
}

impl Input {
    /// The one reading of a data-file argument, used by every command: `-` is standard input; a
    /// path that exists is that file; otherwise `ARCHIVE:MEMBER` names a member of an archive that
    /// exists (the split is made at the first `:` after which the archive part is a file, so
    /// `C:\data.zip:KDDTest+.txt` and names holding `:` work); anything else is a path (and reads as
    /// "no such file").
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            return Input::Stdin;
        }
        if std::path::Path::new(arg).exists() {
            return Input::Path(arg.to_string());
        }
        for (i, _) in arg.match_indices(':') {
            let (archive, member) = (&arg[..i], &arg[i + 1..]);
            if !member.is_empty() && std::path::Path::new(archive).is_file() {
                return Input::Member {
                    archive: archive.to_string(),
                    member: member.to_string(),
                };
            }
        }
        Input::Path(arg.to_string())
    }

    /// The name used in messages and output.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.clone(),
            Input::Member { archive, member } => format!("{archive}:{member}"),
            Input::Stdin => "<stdin>".to_string(),
        }
    }

    /// The file on disk this input reads (the archive for a member), for checks that an output is
    /// not an input.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Input::Path(p) => Some(std::path::Path::new(p)),
            Input::Member { archive, .. } => Some(std::path::Path::new(archive)),
            Input::Stdin => None,
        }
    }
}

/// The decompressed bytes of an input and the name to show for them.
#[derive(Debug)]
pub struct SourceText {
    /// The input's name: the path, `<stdin>`, or `archive.zip!entry`.
    pub name: String,
    /// The text, still unchecked.
    pub bytes: Vec<u8>,
    /// Whether the text came out of a zip archive.
    pub from_archive: bool,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY_MAGIC: &[u8] = b"PK\x05\x06";

/// How many compression layers an input may have (a `.gz` in a `.zip` is two). Real data files
/// are never more than one deep; deeper nesting is refused before any of it is expanded.
pub const MAX_LAYERS: usize = 3;

/// Limits on decompression: no real KDD file comes near them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest decompressed size, in bytes, of any layer.
    pub max_decompressed: u64,
}

/// The default limit on a decompressed input: 4 GiB (the full `kddcup.data` is 743 MB).
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
        }
    }
}

/// Reads an input whole and undoes any compression. `entry` picks the member of a `.zip` archive
/// (an [`Input::Member`] names its own).
pub fn read_input(input: &Input, entry: Option<&str>) -> Result<SourceText> {
    read_input_with(input, entry, Limits::default())
}

/// [`read_input`] with explicit limits.
pub fn read_input_with(input: &Input, entry: Option<&str>, limits: Limits) -> Result<SourceText> {
    let (entry, member_given) = match input {
        Input::Member { member, .. } => (Some(member.as_str()), true),
        _ => (entry, false),
    };
    let name = match input {
        Input::Member { archive, .. } => archive.clone(),
        other => other.name(),
    };
    let bytes = match input.file() {
        Some(path) => {
            let meta = fs::metadata(path).map_err(|source| Error::Io {
                path: name.clone(),
                source,
            })?;
            if meta.is_dir() {
                return Err(Error::IsDirectory { path: name });
            }
            read_file(path, meta.len()).map_err(|source| Error::Io {
                path: name.clone(),
                source,
            })?
        }
        None => {
            let mut buf = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map_err(|source| Error::Io {
                    path: name.clone(),
                    source,
                })?;
            buf
        }
    };
    let raw = unpack(
        SourceText {
            name,
            bytes,
            from_archive: false,
        },
        entry,
        limits,
    )?;
    if entry.is_some() && !raw.from_archive {
        let how = if member_given { ":MEMBER" } else { "--entry" };
        return Err(Error::Usage(format!(
            "{}: {how} applies to .zip archives only, and this is not one",
            raw.name
        )));
    }
    Ok(raw)
}

/// Undoes the compression of bytes already in memory (`name` for messages), as [`read_input`]
/// does for a file.
pub fn read_bytes(
    name: &str,
    bytes: Vec<u8>,
    entry: Option<&str>,
    limits: Limits,
) -> Result<SourceText> {
    unpack(
        SourceText {
            name: name.to_string(),
            bytes,
            from_archive: false,
        },
        entry,
        limits,
    )
}

/// Reads a whole file; a large one in two halves on two threads, which halves the time spent
/// copying from the page cache and faulting in the buffer.
fn read_file(path: &std::path::Path, len: u64) -> io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        const PARALLEL_FROM: u64 = 4 << 20;
        if let Ok(len) = usize::try_from(len)
            && len as u64 >= PARALLEL_FROM
        {
            let file = fs::File::open(path)?;
            let mut buf = vec![0u8; len];
            let (a, b) = buf.split_at_mut(len / 2);
            let (ra, rb) = std::thread::scope(|s| {
                let second = s.spawn(|| file.read_exact_at(b, (len / 2) as u64));
                let first = file.read_exact_at(a, 0);
                (first, second.join())
            });
            ra?;
            rb.map_err(|_| io::Error::other("reading thread failed"))??;
            // The file may have grown since its size was taken: keep whatever follows.
            let mut rest = Vec::new();
            let mut tail = &file;
            io::Seek::seek(&mut tail, io::SeekFrom::Start(len as u64))?;
            tail.read_to_end(&mut rest)?;
            buf.extend_from_slice(&rest);
            return Ok(buf);
        }
    }
    let _ = len;
    fs::read(path)
}

/// Undoes gzip and zip layers, at most [`MAX_LAYERS`] of them (a `.gz` inside a `.zip` included),
/// each expanded as a stream within `limits`.
fn unpack(mut raw: SourceText, mut entry: Option<&str>, limits: Limits) -> Result<SourceText> {
    let mut layers = 0;
    loop {
        let gzip = raw.bytes.starts_with(GZIP_MAGIC);
        let zip = raw.bytes.starts_with(ZIP_MAGIC) || raw.bytes.starts_with(ZIP_EMPTY_MAGIC);
        if !gzip && !zip {
            return Ok(raw);
        }
        layers += 1;
        if layers > MAX_LAYERS {
            return Err(Error::Archive {
                path: raw.name,
                message: format!(
                    "more than {MAX_LAYERS} layers of compression (an archive in an archive ...); \
                     a data file is never packed that deep"
                ),
            });
        }
        if gzip {
            raw.bytes = gunzip(&raw.name, &raw.bytes, limits)?;
        } else {
            raw = unzip(&raw.name, raw.bytes, entry.take(), limits)?;
        }
    }
}

/// Reads a decompressing stream to its end, stopping past the size limit. The first bytes decide
/// whether the content is another layer or text; text is checked for NUL bytes as it comes, so a
/// run of zeros stops at once instead of being expanded whole.
fn read_limited(
    name: &str,
    mut reader: impl Read,
    capacity: usize,
    limits: Limits,
    what: &str,
) -> Result<Vec<u8>> {
    let archive_error = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    let mut out = Vec::with_capacity(capacity.min(64 << 20));
    let mut buf = vec![0u8; 1 << 16];
    let mut text: Option<bool> = None;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(archive_error(match e.kind() {
                    io::ErrorKind::UnexpectedEof => {
                        format!("the {what} ends early: the file is truncated")
                    }
                    _ => format!("not a valid {what}: {e}"),
                }));
            }
        };
        let chunk = &buf[..n];
        if (out.len() as u64).saturating_add(n as u64) > limits.max_decompressed {
            return Err(archive_error(format!(
                "decompresses to more than {} bytes (the limit; raise it with --max-decompressed)",
                limits.max_decompressed
            )));
        }
        let start = out.len();
        out.extend_from_slice(chunk);
        if text.is_none() && out.len() >= 4 {
            text = Some(
                !(out.starts_with(GZIP_MAGIC)
                    || out.starts_with(ZIP_MAGIC)
                    || out.starts_with(ZIP_EMPTY_MAGIC)
                    || out.starts_with(b"PAR1")
                    || super::capture_magic(&out)),
            );
        }
        if text == Some(true)
            && let Some(i) = memchr::memchr(0, &out[start.saturating_sub(4)..])
        {
            return Err(Error::Binary {
                path: name.to_string(),
                offset: start.saturating_sub(4) + i,
            });
        }
    }
    Ok(out)
}

fn gunzip(name: &str, bytes: &[u8], limits: Limits) -> Result<Vec<u8>> {
    read_limited(
        name,
        MultiGzDecoder::new(bytes),
        bytes.len().saturating_mul(4),
        limits,
        "gzip stream",
    )
}

/// Whether an archive member looks like a data file (not a folder, not macOS or hidden metadata, not
/// documentation).
fn is_data_candidate(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    if name.ends_with('/') || name.starts_with("__MACOSX/") || base.starts_with('.') {
        return false;
    }
    let lower = base.to_ascii_lowercase();
    let doc = [
        ".md", ".pdf", ".html", ".htm", ".arff", ".json", ".xml", ".doc", ".docx",
    ];
    !doc.iter().any(|ext| lower.ends_with(ext)) && !lower.starts_with("readme")
}

/// The member of an archive (`name`, holding `names`) to read: `entry` (a full name, or a base
/// name found once), or else the archive's only data file.
fn choose_entry(name: &str, names: &[String], entry: Option<&str>) -> Result<String> {
    let archive_error = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    Ok(match entry {
        Some(wanted) => {
            let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_string();
            let exact = names.iter().find(|n| n.as_str() == wanted);
            let by_base: Vec<&String> = names.iter().filter(|n| base(n) == wanted).collect();
            match (exact, by_base.as_slice()) {
                (Some(n), _) => n.clone(),
                (None, [n]) => (*n).clone(),
                (None, []) => {
                    return Err(archive_error(format!(
                        "no entry '{}' in the archive; it holds: {}",
                        shown(wanted),
                        list(names)
                    )));
                }
                (None, several) => {
                    return Err(archive_error(format!(
                        "several entries are named '{}': {}; give the full name (ARCHIVE.zip:FULL/NAME)",
                        shown(wanted),
                        list(several)
                    )));
                }
            }
        }
        None => {
            let candidates: Vec<&String> = names.iter().filter(|n| is_data_candidate(n)).collect();
            match candidates.as_slice() {
                [one] => (*one).clone(),
                [] => return Err(archive_error("the archive holds no data file".to_string())),
                several => {
                    return Err(archive_error(format!(
                        "the archive holds several data files: {}; choose one as ARCHIVE.zip:MEMBER (or --entry MEMBER)",
                        list(several)
                    )));
                }
            }
        }
    })
}

fn unzip(name: &str, bytes: Vec<u8>, entry: Option<&str>, limits: Limits) -> Result<SourceText> {
    let archive_error = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    let declared = declared_entries(&mut Cursor::new(&bytes[..])).unwrap_or(None);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| archive_error(format!("not a readable zip archive: {e}")))?;
    let names = member_names(name, &archive)?;
    check_count(name, declared, &names)?;
    let chosen = choose_entry(name, &names, entry)?;
    let mut file = open_entry(name, &mut archive, &chosen)?;
    // The declared size is only a hint: never trusted for the allocation or the limit.
    let capacity = usize::try_from(file.size()).unwrap_or(0);
    let out = read_limited(
        &format!("{name}!{}", shown(&chosen)),
        &mut file,
        capacity,
        limits,
        "zip entry",
    )?;
    Ok(SourceText {
        name: format!("{name}!{}", shown(&chosen)),
        bytes: out,
        from_archive: true,
    })
}

/// Opens the member `chosen` of the archive `name`, refusing a folder.
fn open_entry<'a, R: Read + io::Seek>(
    name: &str,
    archive: &'a mut zip::ZipArchive<R>,
    chosen: &str,
) -> Result<zip::read::ZipFile<'a, R>> {
    let archive_error = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    let file = archive
        .by_name(chosen)
        .map_err(|e| archive_error(format!("cannot open entry '{}': {e}", shown(chosen))))?;
    if file.is_dir() {
        return Err(archive_error(format!(
            "entry '{}' is a folder",
            shown(chosen)
        )));
    }
    Ok(file)
}

/// The number of entries an archive's end-of-central-directory record declares (`None` when
/// there is no plain record, as in zip64 archives with 65,535 entries or more).
fn declared_entries<R: Read + io::Seek>(r: &mut R) -> io::Result<Option<u64>> {
    let len = r.seek(io::SeekFrom::End(0))?;
    let tail_len = len.min(65_557);
    r.seek(io::SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    r.take(tail_len).read_to_end(&mut tail)?;
    r.seek(io::SeekFrom::Start(0))?;
    let Some(at) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(None);
    };
    let total = tail
        .get(at + 10..at + 12)
        .map(|b| u16::from_le_bytes([b[0], b[1]]));
    Ok(total.filter(|t| *t != u16::MAX).map(u64::from))
}

/// Refuses an archive holding two members of one name: the zip reader keeps the last, so the
/// other would be read silently in its place.
fn check_unique_names<R: Read + io::Seek>(name: &str, r: &mut R, names: &[String]) -> Result<()> {
    let declared = declared_entries(r).map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    check_count(name, declared, names)
}

fn check_count(name: &str, declared: Option<u64>, names: &[String]) -> Result<()> {
    let distinct = names.iter().collect::<std::collections::HashSet<_>>().len() as u64;
    let total = declared.unwrap_or(0).max(names.len() as u64);
    if total > distinct {
        return Err(Error::Archive {
            path: name.to_string(),
            message: format!(
                "the archive holds {total} members but {distinct} distinct names: two members \
                 share a name, and which one would be read is not clear"
            ),
        });
    }
    Ok(())
}

/// The names of an archive's members.
fn member_names<R: Read + io::Seek>(
    name: &str,
    archive: &zip::ZipArchive<R>,
) -> Result<Vec<String>> {
    archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Archive {
            path: name.to_string(),
            message: format!("cannot list the archive: {e}"),
        })
}

/// A zip member that cannot be read to its end.
fn member_error(shown_name: &str, e: &io::Error) -> Error {
    Error::Archive {
        path: shown_name.to_string(),
        message: match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                "the zip entry ends early: the file is truncated".into()
            }
            _ => format!("not a valid zip entry: {e}"),
        },
    }
}

/// What the thread reading a zip member sends.
enum Piece {
    Bytes(Vec<u8>),
    End,
    Fail(Error),
}

/// The bytes of a zip member as its reading thread decompresses them.
struct MemberReader {
    from: std::sync::mpsc::Receiver<Piece>,
    bytes: Vec<u8>,
    at: usize,
    ended: bool,
}

impl Read for MemberReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.bytes.len() {
            if self.ended {
                return Ok(0);
            }
            match self.from.recv() {
                Ok(Piece::Bytes(b)) => {
                    self.bytes = b;
                    self.at = 0;
                }
                Ok(Piece::End) => self.ended = true,
                // kddstat's own error, carried through the reader (as Parquet's are).
                Ok(Piece::Fail(e)) => return Err(io::Error::other(e)),
                Err(_) => {
                    return Err(io::Error::other(Error::Internal(
                        "the thread reading a zip member stopped".into(),
                    )));
                }
            }
        }
        let n = out.len().min(self.bytes.len() - self.at);
        out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Opens the member of the zip archive at `path` (shown as `name`) that `entry` or the archive's
/// only data file names, to read as it is decompressed (on a thread, a megabyte at a time), so
/// a member of any size takes bounded memory. Returns the member's shown name and its reader, or
/// `None` when the member is compressed again (a caller reads that whole, as [`read_input`]).
pub(crate) fn open_member(
    path: &std::path::Path,
    name: &str,
    entry: Option<&str>,
) -> Result<Option<(String, Box<dyn Read + Send>)>> {
    let archive_error = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    let file = fs::File::open(path).map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    let mut file = file;
    let mut archive =
        zip::ZipArchive::new(io::BufReader::new(file.try_clone().map_err(|source| {
            Error::Io {
                path: name.to_string(),
                source,
            }
        })?))
        .map_err(|e| archive_error(format!("not a readable zip archive: {e}")))?;
    let names = member_names(name, &archive)?;
    check_unique_names(name, &mut file, &names)?;
    let chosen = choose_entry(name, &names, entry)?;
    let shown_name = format!("{name}!{}", shown(&chosen));
    {
        let mut member = open_entry(name, &mut archive, &chosen)?;
        let mut start = Vec::with_capacity(4);
        (&mut member)
            .take(4)
            .read_to_end(&mut start)
            .map_err(|e| member_error(&shown_name, &e))?;
        if start.starts_with(GZIP_MAGIC)
            || start.starts_with(ZIP_MAGIC)
            || start.starts_with(ZIP_EMPTY_MAGIC)
            || start.starts_with(b"PAR1")
        {
            return Ok(None);
        }
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    let thread_name = shown_name.clone();
    std::thread::spawn(move || {
        let fail = |e: Error| Piece::Fail(e);
        let mut member = match archive.by_name(&chosen) {
            Ok(m) => m,
            Err(e) => {
                let _ = tx.send(fail(Error::Archive {
                    path: thread_name,
                    message: format!("cannot open the entry again: {e}"),
                }));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; 1 << 20];
            match member.read(&mut buf) {
                Ok(0) => {
                    let _ = tx.send(Piece::End);
                    return;
                }
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Piece::Bytes(buf)).is_err() {
                        return; // the reader is gone
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(fail(member_error(&thread_name, &e)));
                    return;
                }
            }
        }
    });
    Ok(Some((
        shown_name,
        Box::new(MemberReader {
            from: rx,
            bytes: Vec::new(),
            at: 0,
            ended: false,
        }),
    )))
}

/// A name from an archive, shown safely on one line: control characters escaped, at most 200
/// characters.
fn shown(name: &str) -> String {
    let mut out = String::new();
    for (n, c) in name.chars().enumerate() {
        if n == 200 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// At most [`LIST_MAX`] names, escaped, then how many more.
fn list<S: AsRef<str>>(names: &[S]) -> String {
    let mut out: Vec<String> = names
        .iter()
        .take(LIST_MAX)
        .map(|n| shown(n.as_ref()))
        .collect();
    if names.len() > LIST_MAX {
        out.push(format!("and {} more", names.len() - LIST_MAX));
    }
    out.join(", ")
}

/// How many names an error message lists.
const LIST_MAX: usize = 10;

/// Reads a small file whole (a model, a classifier, a saved state; `what` names it in errors),
/// reading at most `cap` + 1 bytes from any source: a regular file, a pipe, a device. A FIFO with
/// no writer reads as empty instead of waiting forever (it is opened without blocking); a folder
/// is refused. Returns the name to show in messages and the bytes.
pub fn read_small(path: &std::path::Path, cap: u64, what: &str) -> Result<(String, Vec<u8>)> {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display().to_string();
    let io = |source| Error::Io {
        path: shown.clone(),
        source,
    };
    if path.is_dir() {
        return Err(Error::IsDirectory { path: shown });
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(io)?;
    // Back to blocking reads: a pipe with a writer is read as it is written.
    let flags = rustix::fs::fcntl_getfl(&file).map_err(|e| io(e.into()))?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)
        .map_err(|e| io(e.into()))?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(Error::Limit {
            path: shown,
            message: format!("larger than the {cap} bytes a {what} may have"),
        });
    }
    if bytes.is_empty() {
        return Err(Error::Empty {
            path: shown,
            what: "the file is empty",
        });
    }
    Ok((shown, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_skip_metadata_and_docs() {
        assert!(is_data_candidate("KDDTrain+.txt"));
        assert!(is_data_candidate("archive/kddcup99.csv"));
        assert!(!is_data_candidate("__MACOSX/._KDDTrain+.txt"));
        assert!(!is_data_candidate("archive/"));
        assert!(!is_data_candidate("KDDTrain+.arff"));
        assert!(!is_data_candidate("README.txt"));
    }

    #[test]
    fn stdin_is_a_dash() {
        assert_eq!(Input::from_arg("-"), Input::Stdin);
        assert_eq!(Input::from_arg("a.txt").name(), "a.txt");
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("d.zip");
        fs::write(&zip, b"PK").unwrap();
        let arg = format!("{}:KDDTest+.txt", zip.display());
        assert_eq!(
            Input::from_arg(&arg),
            Input::Member {
                archive: zip.display().to_string(),
                member: "KDDTest+.txt".into()
            }
        );
        // A missing archive is just a missing path.
        assert!(matches!(Input::from_arg("nope.zip:x"), Input::Path(_)));
    }
}
