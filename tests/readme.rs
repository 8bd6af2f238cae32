//! The README's and the docs' figures come from real runs: this test runs every example of
//! `README.md` and of every `docs/*.md` page on the real NSL-KDD files and requires each page to
//! show exactly what kddstat prints today.
//!
//! - A fenced block whose first line is `$ kddstat ARGS` is that command's standard output, run in a
//!   folder where `datasets/` is the data folder. With `(excerpts)` after the command, the block is
//!   made of segments separated by `...` lines: each segment is the output's lines from its first
//!   line (a title, found in the output) on, as many as the segment has.
//! - The detector table between `<!-- generated: detectors -->` and `<!-- end generated -->` is
//!   built from `kddstat evaluate --format json`.
//!
//! `KDDSTAT_UPDATE_README=1 cargo test --test readme` rewrites the pages with today's output (the
//! one command that regenerates every figure table); the test then passes.

mod common;

use std::fs;
use std::path::Path;

use common::{data_dir, kddstat, stdout_of};
use serde_json::Value;

const EXCERPTS: &str = "(excerpts)";
const DETECTORS_BEGIN: &str = "<!-- generated: detectors -->";
const DETECTORS_END: &str = "<!-- end generated -->";

/// Runs `kddstat ARGS` (as written in the README) in `cwd` and returns its standard output.
fn run_example(command: &str, cwd: &Path) -> String {
    let args: Vec<&str> = command.split_whitespace().collect();
    let out = kddstat().current_dir(cwd).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "README example `kddstat {command}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The block as it should read: the command line, then the output (or its excerpts).
fn expected_block(block: &[&str], output: &str) -> Result<Vec<String>, String> {
    let head = block[0];
    let out: Vec<&str> = output.lines().collect();
    if !head.trim_end().ends_with(EXCERPTS) {
        return Ok(std::iter::once(head)
            .chain(out.iter().copied())
            .map(str::to_string)
            .collect());
    }
    let mut result = vec![head.to_string()];
    let mut from = 0;
    let body = &block[1..];
    for segment in body.split(|l| l.trim() == "...") {
        if segment.is_empty() {
            continue;
        }
        let anchor = segment[0];
        let pos = out[from..]
            .iter()
            .position(|l| *l == anchor)
            .map(|p| p + from)
            .ok_or_else(|| format!("`{anchor}` is no longer in the output of `{head}`"))?;
        let end = (pos + segment.len()).min(out.len());
        result.extend(out[pos..end].iter().map(|l| l.to_string()));
        from = end;
        result.push("  ...".to_string());
    }
    if body.last().is_none_or(|l| l.trim() != "...") {
        result.pop();
    }
    Ok(result)
}

/// Formats an AUC to four decimals (empty when absent).
fn f4(v: &Value) -> String {
    v.as_f64().map_or(String::new(), |x| format!("{x:.4}"))
}

/// The detector table: one row per detector configuration, ROC AUC on KDDTest+ (overall and per
/// category) and on KDDTest-21.
fn detector_table(cwd: &Path) -> Vec<String> {
    let mut rows = vec![
        "| detector (`id`, label) | KDDTest+ | DoS | Probe | R2L | U2R | KDDTest-21 |".to_string(),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |".to_string(),
    ];
    let runs: [&[&str]; 3] = [
        &["--detectors", "zscore,kmeans,gmm,iforest,ensemble"],
        &["--detectors", "zscore", "--agg", "max"],
        &["--detectors", "zscore", "--robust"],
    ];
    for extra in runs {
        let v: Value = serde_json::from_slice(&stdout_of(
            kddstat()
                .current_dir(cwd)
                .args([
                    "evaluate",
                    "-q",
                    "--format",
                    "json",
                    "--train",
                    "datasets/KDDTrain+.txt",
                    "--test",
                    "datasets/KDDTest+.txt",
                    "--test",
                    "datasets/KDDTest-21.txt",
                ])
                .args(extra),
        ))
        .unwrap();
        for d in v["detectors"].as_array().unwrap() {
            let (plus, hard) = (&d["tests"][0]["roc_auc"], &d["tests"][1]["roc_auc"]);
            rows.push(format!(
                "| `{}`, {} | {} | {} | {} | {} | {} | {} |",
                d["id"].as_str().unwrap(),
                d["label"].as_str().unwrap(),
                f4(&plus["overall"]),
                f4(&plus["DoS"]),
                f4(&plus["Probe"]),
                f4(&plus["R2L"]),
                f4(&plus["U2R"]),
                f4(&hard["overall"]),
            ));
        }
    }
    rows
}

#[test]
fn readme_figures_are_what_kddstat_prints_today() {
    let Some(dir) = data_dir(&["KDDTrain+.txt", "KDDTest+.txt", "KDDTest-21.txt"]) else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&dir, cwd.path().join("datasets")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<_> = fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    let (mut examples, mut tables, mut problems) = (0, 0, Vec::new());
    for path in &pages {
        let page = check_page(path, cwd.path(), &mut examples, &mut tables);
        if let Err(p) = page {
            problems.push(format!("{}: {p}", path.display()));
        }
    }
    assert!(examples >= 5, "only {examples} examples found");
    assert!(tables >= 1, "the detector table is not marked");
    assert!(
        problems.is_empty(),
        "pages out of date ({}); regenerate them with `KDDSTAT_UPDATE_README=1 cargo test \
         --test readme`",
        problems.join("; ")
    );
}

/// Checks one page (rewrites it with `KDDSTAT_UPDATE_README`); counts its examples and tables.
fn check_page(
    path: &Path,
    cwd: &Path,
    examples: &mut usize,
    tables: &mut usize,
) -> Result<(), String> {
    let readme = fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut problems = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("```")
            && lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with("$ kddstat "))
        {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .expect("an unclosed code block");
            let block = &lines[i + 1..end];
            let command = block[0]
                .trim_start_matches("$ kddstat ")
                .trim_end()
                .trim_end_matches(EXCERPTS)
                .trim_end();
            let output = run_example(command, cwd);
            out.push(line.to_string());
            match expected_block(block, &output) {
                Ok(expected) => {
                    let same = expected
                        .iter()
                        .map(String::as_str)
                        .eq(block.iter().copied());
                    if !same {
                        problems.push(format!("the example `{}` differs", block[0]));
                    }
                    out.extend(expected);
                }
                Err(e) => {
                    problems.push(e);
                    out.extend(block.iter().map(|l| l.to_string()));
                }
            }
            out.push(lines[end].to_string());
            *examples += 1;
            i = end + 1;
            continue;
        }
        if line.trim() == DETECTORS_BEGIN {
            let end = (i..lines.len())
                .find(|&j| lines[j].trim() == DETECTORS_END)
                .expect("the generated detector table is not closed");
            let table = detector_table(cwd);
            if !table
                .iter()
                .map(String::as_str)
                .eq(lines[i + 1..end].iter().copied())
            {
                problems.push("the detector table differs".to_string());
            }
            out.push(line.to_string());
            out.extend(table);
            out.push(lines[end].to_string());
            *tables += 1;
            i = end + 1;
            continue;
        }
        out.push(line.to_string());
        i += 1;
    }
    if std::env::var_os("KDDSTAT_UPDATE_README").is_some() {
        let mut text = out.join("\n");
        text.push('\n');
        fs::write(path, text).unwrap();
        return Ok(());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
