//! Writing a report folder atomically: every file goes into a temporary sibling folder, which is
//! renamed into place at the end. An interrupted run leaves the old folder as it was (and at most a
//! hidden `.NAME.kddstat-*` folder beside it); an existing non-empty folder is replaced only when
//! asked, and never when it holds an input file.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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

/// Checks that a report may be written to `out`: not a file, not a non-empty folder without
/// `force`, never a folder holding one of the `inputs`.
pub fn check_folder(out: &Path, inputs: &[&Path], force: bool) -> Result<()> {
    let shown = out.display().to_string();
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!("{shown}: exists and is not a folder")));
    }
    if out.is_dir() {
        let canonical = fs::canonicalize(out).map_err(io_error(out))?;
        for input in inputs {
            if let Ok(p) = fs::canonicalize(input)
                && p.starts_with(&canonical)
            {
                return Err(Error::Usage(format!(
                    "{shown}: holds the input {}; kddstat never replaces its input",
                    input.display()
                )));
            }
        }
        let empty = fs::read_dir(out).map_err(io_error(out))?.next().is_none();
        if !empty && !force {
            return Err(Error::Usage(format!(
                "{shown}: exists and is not empty; use --force to replace it"
            )));
        }
    }
    Ok(())
}

/// Writes `files` (paths relative to the folder, with their bytes) as the folder `out`, replacing
/// it if it exists (the caller has checked with [`check_folder`]).
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
    for (rel, bytes) in files {
        let path = temp.path().join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_error(dir))?;
        }
        fs::write(&path, bytes).map_err(io_error(&path))?;
    }
    set_folder_mode(temp.path())?;
    // Move the old folder aside, put the new one in place, then delete the old one.
    let old = if out.exists() {
        let aside = tempfile::Builder::new()
            .prefix(&format!(".{name}.kddstat-old-"))
            .tempdir_in(&parent)
            .map_err(io_error(&parent))?
            .keep();
        // `rename` replaces the empty placeholder folder.
        fs::rename(out, &aside).map_err(io_error(out))?;
        Some(aside)
    } else {
        None
    };
    let new = temp.keep();
    if let Err(e) = fs::rename(&new, out) {
        if let Some(aside) = &old {
            let _ = fs::rename(aside, out);
        }
        let _ = fs::remove_dir_all(&new);
        return Err(io_error(out)(e));
    }
    if let Some(aside) = old {
        fs::remove_dir_all(&aside).map_err(io_error(&aside))?;
    }
    Ok(())
}

/// Temporary folders are created private (0700); a report is meant to be shared like any folder.
#[cfg(unix)]
fn set_folder_mode(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(io_error(dir))
}

#[cfg(not(unix))]
fn set_folder_mode(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_when_asked_and_never_an_input() {
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
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        let input = out.join("c.txt");
        let e = check_folder(&out, &[input.as_path()], true).unwrap_err();
        assert!(e.to_string().contains("holds the input"), "{e}");
        fs::write(dir.path().join("f"), b"").unwrap();
        assert!(check_folder(&dir.path().join("f"), &[], true).is_err());
    }
}
