//! Where the NSL-KDD files are found when a command is not told: the data folder (`KDDSTAT_DATA`,
//! else `datasets/`) holding the text files, or the official `NSL-KDD.zip` (in that folder, or
//! named by `KDDSTAT_DATA` itself). Every command that defaults to the NSL-KDD files resolves them
//! here, so a folder holding only `NSL-KDD.zip` serves them all.

use std::path::{Path, PathBuf};

/// The NSL-KDD training file.
pub const TRAIN: &str = "KDDTrain+.txt";
/// The NSL-KDD test files, in the order reports show them.
pub const TESTS: [&str; 2] = ["KDDTest+.txt", "KDDTest-21.txt"];
/// The archive the NSL-KDD files are distributed in.
pub const ARCHIVE: &str = "NSL-KDD.zip";
/// The environment variable naming the data folder (or `NSL-KDD.zip`).
pub const DATA_ENV: &str = "KDDSTAT_DATA";
/// The environment variable naming another mirror to download from.
pub const MIRROR_ENV: &str = "KDDSTAT_MIRROR";

/// Where the default files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A folder holding the text files (or `NSL-KDD.zip`).
    Folder(PathBuf),
    /// An archive holding them, named by `KDDSTAT_DATA`.
    Archive(PathBuf),
}

impl Location {
    /// `KDDSTAT_DATA` (a folder, or an archive file), else `datasets`.
    pub fn from_env() -> Location {
        let path = std::env::var_os(DATA_ENV)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("datasets"), PathBuf::from);
        if path.is_file() {
            Location::Archive(path)
        } else {
            Location::Folder(path)
        }
    }

    /// The folder files are downloaded into (`None` for an archive, which is never written).
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Location::Folder(p) => Some(p),
            Location::Archive(_) => None,
        }
    }

    /// For people.
    pub fn display(&self) -> String {
        match self {
            Location::Folder(p) | Location::Archive(p) => p.display().to_string(),
        }
    }

    /// The argument naming one of the NSL-KDD files here (a path, or `ARCHIVE.zip:NAME`), if it
    /// is there.
    pub fn find(&self, name: &str) -> Option<String> {
        match self {
            Location::Archive(zip) => Some(format!("{}:{name}", zip.display())),
            Location::Folder(dir) => {
                let file = dir.join(name);
                if file.is_file() {
                    return Some(file.display().to_string());
                }
                let zip = dir.join(ARCHIVE);
                zip.is_file().then(|| format!("{}:{name}", zip.display()))
            }
        }
    }
}

/// The mirror to download from: `KDDSTAT_MIRROR`, else the default.
pub fn mirror() -> String {
    std::env::var(MIRROR_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| crate::fetch::DEFAULT_URL.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_then_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Folder(dir.path().to_path_buf());
        assert_eq!(loc.find(TRAIN), None);
        std::fs::write(dir.path().join(ARCHIVE), b"PK").unwrap();
        let zip = dir.path().join(ARCHIVE).display().to_string();
        assert_eq!(loc.find(TRAIN), Some(format!("{zip}:{TRAIN}")));
        std::fs::write(dir.path().join(TRAIN), b"x").unwrap();
        assert_eq!(
            loc.find(TRAIN),
            Some(dir.path().join(TRAIN).display().to_string())
        );
        let archive = Location::Archive(PathBuf::from("/d/NSL-KDD.zip"));
        assert_eq!(
            archive.find("KDDTest+.txt").as_deref(),
            Some("/d/NSL-KDD.zip:KDDTest+.txt")
        );
        assert_eq!(archive.folder(), None);
    }
}
