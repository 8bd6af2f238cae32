//! Downloading the NSL-KDD text files from a public mirror, verified against the SHA-256 sums
//! recorded in the repository (`datasets/SHA256SUMS`, compiled in).
//!
//! Each file is downloaded whole into memory (they are at most 19 MB; a body over
//! [`MAX_BYTES`] is refused), checked, then written through a temporary sibling renamed into place:
//! an HTTP error, a cut connection or a checksum mismatch leaves no file behind. A file already
//! present with the right checksum is not downloaded again; one with another checksum is replaced
//! only with `force`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::output::{self, sha256_hex};

/// The mirror used by default: the GitHub repository `defcom17/NSL_KDD`.
pub const DEFAULT_URL: &str = "https://raw.githubusercontent.com/defcom17/NSL_KDD/master";
/// The largest body accepted, in bytes.
pub const MAX_BYTES: u64 = 256 << 20;
/// The checksums file of the repository.
const SUMS: &str = include_str!("../datasets/SHA256SUMS");

/// The files and their SHA-256 sums, as recorded in `datasets/SHA256SUMS`.
pub fn expected() -> Vec<(&'static str, &'static str)> {
    SUMS.lines()
        .filter_map(|l| {
            let (sum, name) = l.split_once("  ")?;
            Some((name.trim(), sum.trim()))
        })
        .collect()
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Downloaded, verified and written (bytes).
    Downloaded(u64),
    /// Already present with the right checksum.
    Present,
}

/// Progress of a download: the file, bytes received, bytes expected (when the server says).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, Option<u64>) + Sync);

/// The URL of a file under a base URL (`+` is escaped, as in `KDDTrain%2B.txt`).
pub fn url_of(base: &str, name: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        name.replace('+', "%2B")
    )
}

/// A URL as shown in messages: any `user:password@` replaced by `***@`, so credentials in a
/// mirror's URL (`KDDSTAT_MIRROR`) never reach a terminal or a log.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end], &rest[at..]),
        None => url.to_string(),
    }
}

fn fetch_error(url: &str, message: impl Into<String>) -> Error {
    Error::Fetch {
        url: redact(url),
        message: message.into(),
    }
}

/// Downloads a URL's body, reporting progress.
fn download(agent: &ureq::Agent, url: &str, name: &str, progress: Progress<'_>) -> Result<Vec<u8>> {
    let mut response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(code) => {
            fetch_error(url, format!("the server answered HTTP {code}"))
        }
        other => fetch_error(url, other.to_string()),
    })?;
    let total = response.body().content_length();
    if total.is_some_and(|t| t > MAX_BYTES) {
        return Err(fetch_error(
            url,
            format!("the file is larger than {MAX_BYTES} bytes"),
        ));
    }
    let mut reader = response.body_mut().with_config().limit(MAX_BYTES).reader();
    let mut out = Vec::with_capacity(total.unwrap_or(1 << 20) as usize);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| fetch_error(url, format!("the download was cut: {e}")))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        progress(name, out.len() as u64, total);
    }
    if let Some(t) = total
        && out.len() as u64 != t
    {
        return Err(fetch_error(
            url,
            format!("the download was cut after {} of {t} bytes", out.len()),
        ));
    }
    Ok(out)
}

/// Downloads the NSL-KDD files from `base` into `dir` (created if needed).
pub fn fetch(
    base: &str,
    dir: &Path,
    force: bool,
    progress: Progress<'_>,
) -> Result<Vec<(PathBuf, Outcome)>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: is not a folder (a file or a device); name the folder to download into",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(Duration::from_secs(5)))
        .timeout_connect(Some(Duration::from_secs(8)))
        // A server that accepts and then says nothing is given up after 30 s.
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let mut done = Vec::new();
    for (name, sum) in expected() {
        let path = dir.join(name);
        if path.exists() {
            if !path.is_file() {
                return Err(Error::Usage(format!(
                    "{}: exists and is not a regular file (a device, FIFO or folder); kddstat \
                     neither reads nor replaces it",
                    path.display()
                )));
            }
            // The recorded files are under 20 MB: a larger one is not one of them.
            let bytes = match crate::load::source::read_small(&path, 64 << 20, "data file") {
                Ok((_, bytes)) => bytes,
                Err(Error::Limit { .. } | Error::Empty { .. }) => Vec::new(),
                Err(e) => return Err(e),
            };
            if sha256_hex(&bytes) == sum {
                done.push((path, Outcome::Present));
                continue;
            }
            if !force {
                return Err(Error::Usage(format!(
                    "{}: exists with another SHA-256 than recorded; use --force to replace it",
                    path.display()
                )));
            }
        }
        let url = url_of(base, name);
        let bytes = download(&agent, &url, name, progress)?;
        let got = sha256_hex(&bytes);
        if got != sum {
            return Err(fetch_error(
                &url,
                format!("SHA-256 mismatch: expected {sum}, got {got}; nothing was written"),
            ));
        }
        output::write_file(&path, true, |w| w.write_all(&bytes).map_err(Error::Output))?;
        done.push((path, Outcome::Downloaded(bytes.len() as u64)));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_shown() {
        assert_eq!(redact("https://u:p@h.org/x"), "https://***@h.org/x");
        assert_eq!(redact("https://h.org/a@b"), "https://h.org/a@b");
        assert_eq!(redact("h.org"), "h.org");
    }

    #[test]
    fn sums_and_urls() {
        let e = expected();
        assert_eq!(e.len(), 4);
        assert!(e.iter().all(|(_, s)| s.len() == 64));
        assert!(e.iter().any(|(n, _)| *n == "KDDTrain+.txt"));
        assert_eq!(
            url_of("http://h/x/", "KDDTrain+.txt"),
            "http://h/x/KDDTrain%2B.txt"
        );
    }
}
