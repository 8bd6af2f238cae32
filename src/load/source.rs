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
    /// Standard input (`-` on the command line).
    Stdin,
}

impl Input {
    /// `-` means standard input; anything else is a path.
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(arg.to_string())
        }
    }

    /// The name used in messages and output.
    pub fn name(&self) -> &str {
        match self {
            Input::Path(p) => p,
            Input::Stdin => "<stdin>",
        }
    }
}

/// The decompressed bytes of an input and the name to show for them.
#[derive(Debug)]
pub struct Raw {
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

/// Reads an input whole and undoes any compression. `entry` picks the member of a `.zip` archive.
pub fn read_input(input: &Input, entry: Option<&str>) -> Result<Raw> {
    let name = input.name().to_string();
    let bytes = match input {
        Input::Path(path) => {
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
        Input::Stdin => {
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
        Raw {
            name,
            bytes,
            from_archive: false,
        },
        entry,
    )?;
    if entry.is_some() && !raw.from_archive {
        return Err(Error::Usage(format!(
            "{}: --entry applies to .zip archives only, and this is not one",
            raw.name
        )));
    }
    Ok(raw)
}

/// Reads a whole file; a large one in two halves on two threads, which halves the time spent
/// copying from the page cache and faulting in the buffer.
fn read_file(path: &str, len: u64) -> io::Result<Vec<u8>> {
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

/// Undoes gzip and zip layers, as many as there are (a `.gz` inside a `.zip` included).
fn unpack(raw: Raw, entry: Option<&str>) -> Result<Raw> {
    if raw.bytes.starts_with(GZIP_MAGIC) {
        let bytes = gunzip(&raw.name, &raw.bytes)?;
        unpack(
            Raw {
                name: raw.name,
                bytes,
                from_archive: raw.from_archive,
            },
            entry,
        )
    } else if raw.bytes.starts_with(ZIP_MAGIC) || raw.bytes.starts_with(ZIP_EMPTY_MAGIC) {
        let inner = unzip(&raw.name, raw.bytes, entry)?;
        unpack(inner, None)
    } else {
        Ok(raw)
    }
}

fn gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| Error::Archive {
            path: name.to_string(),
            message: match e.kind() {
                io::ErrorKind::UnexpectedEof => {
                    "the gzip stream ends early: the file is truncated".to_string()
                }
                _ => format!("not a valid gzip stream: {e}"),
            },
        })?;
    Ok(out)
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

fn unzip(name: &str, bytes: Vec<u8>, entry: Option<&str>) -> Result<Raw> {
    let archive_error = |message: String| Error::Archive {
        path: name.to_string(),
        message,
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| archive_error(format!("not a readable zip archive: {e}")))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| archive_error(format!("cannot list the archive: {e}")))?;
    let chosen = match entry {
        Some(wanted) => {
            let base = |n: &str| n.rsplit('/').next().unwrap_or(n).to_string();
            let exact = names.iter().find(|n| n.as_str() == wanted);
            let by_base: Vec<&String> = names.iter().filter(|n| base(n) == wanted).collect();
            match (exact, by_base.as_slice()) {
                (Some(n), _) => n.clone(),
                (None, [n]) => (*n).clone(),
                (None, []) => {
                    return Err(archive_error(format!(
                        "no entry '{wanted}' in the archive; it holds: {}",
                        list(&names)
                    )));
                }
                (None, several) => {
                    return Err(archive_error(format!(
                        "several entries are named '{wanted}': {}; give the full name to --entry",
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
                        "the archive holds several data files: {}; choose one with --entry NAME",
                        list(several)
                    )));
                }
            }
        }
    };
    let mut file = archive
        .by_name(&chosen)
        .map_err(|e| archive_error(format!("cannot open entry '{chosen}': {e}")))?;
    if file.is_dir() {
        return Err(archive_error(format!("entry '{chosen}' is a folder")));
    }
    let capacity = usize::try_from(file.size()).unwrap_or(0).min(1 << 32);
    let mut out = Vec::with_capacity(capacity);
    file.read_to_end(&mut out)
        .map_err(|e| archive_error(format!("cannot read entry '{chosen}': {e}")))?;
    Ok(Raw {
        name: format!("{name}!{chosen}"),
        bytes: out,
        from_archive: true,
    })
}

fn list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| n.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
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
    }
}
