//! The layers of `ARCHITECTURE.md`, enforced: every `crate::` path in the library's code (outside
//! test modules and comments) must name a module of a lower layer, the page toolkit depends on no
//! stage, and no command module imports another. Zero exceptions.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may use only modules of lower layers.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["format", "schema", "output"],
    &["connection", "table"],
    &["load"],
    &["fetch", "stats"],
    &["data", "capture", "clean", "model"],
    &["detect"],
    &["classify"],
    &["evaluate", "live"],
    &["render"],
    &["report"],
    &["cmd"],
];

/// The page toolkit (in `report/`) and what it may use.
const TOOLKIT: &[&str] = &["report/plot", "report/html.rs", "report/palette.rs"];
const TOOLKIT_USES: &[&str] = &["error", "format", "schema", "table"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its test module and comment lines.
fn code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file's code names through `crate::`.
fn used(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn layers_hold_without_exceptions() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = layer(&top) else {
            problems.push(format!(
                "{rel}: the module '{top}' is in no layer of ARCHITECTURE.md"
            ));
            continue;
        };
        let code = code(f);
        let toolkit = TOOLKIT.iter().any(|t| rel.starts_with(t));
        for m in used(&code) {
            if m == top {
                continue;
            }
            match layer(&m) {
                None => problems.push(format!("{rel}: uses crate::{m}, which is in no layer")),
                Some(l) if l >= own => problems.push(format!(
                    "{rel}: '{top}' (layer {own}) uses '{m}' (layer {l}): a layer uses only lower ones"
                )),
                _ => {}
            }
            if toolkit && !TOOLKIT_USES.contains(&m.as_str()) {
                problems.push(format!("{rel}: the page toolkit uses '{m}', a stage"));
            }
        }
        if toolkit {
            for stage in [
                "detectors",
                "drift",
                "features",
                "overview",
                "findings",
                "capture",
            ] {
                if code.contains(&format!("report::{stage}"))
                    || code.contains(&format!("super::{stage}"))
                {
                    problems.push(format!(
                        "{rel}: the page toolkit uses the report section '{stage}'"
                    ));
                }
            }
        }
        // No command imports another: commands share only `args` and `models`.
        if let Some(cmd) = rel.strip_prefix("cmd/") {
            for other in fs::read_dir(src.join("cmd")).unwrap() {
                let name = other
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string();
                if ["mod", "args", "models"].contains(&name.as_str())
                    || cmd == format!("{name}.rs")
                    || cmd == "mod.rs"
                {
                    continue;
                }
                if code.contains(&format!("super::{name}::"))
                    || code.contains(&format!("cmd::{name}::"))
                {
                    problems.push(format!("{rel}: the command imports the command '{name}'"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn architecture_md_states_the_same_layers() {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    for (i, l) in LAYERS.iter().enumerate() {
        let line = format!(
            "| {i} | {} |",
            l.iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert!(
            text.contains(&line),
            "ARCHITECTURE.md lacks the layer line `{line}`"
        );
    }
}
