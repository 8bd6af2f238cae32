//! Opening a report in headless Chromium: images that load, text shown, the first section, and
//! horizontal overflow at a given width.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

/// The browser to check pages with: `KDDSTAT_BROWSER`, else Chromium or Chrome on the PATH.
pub fn browser() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("KDDSTAT_BROWSER") {
        return Some(PathBuf::from(b));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A page that loads the report in a frame `WIDTH` px wide and writes what it finds: images that
/// did not load, how much text the page shows, the id of its first section, and how far its
/// content overflows the frame horizontally (with the widest offenders).
const CHECKER: &str = r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="REPORT/index.html" width="WIDTH" height="900" style="border:0"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument;
  var imgs = Array.prototype.slice.call(d.images);
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; })
                   .map(function (i) { return i.getAttribute('src'); });
  var view = d.documentElement.clientWidth;
  var wide = Array.prototype.slice.call(d.body.querySelectorAll('*'))
    .filter(function (e) { return e.getBoundingClientRect().right > view + 1; })
    .slice(0, 5)
    .map(function (e) { return e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right); });
  var first = d.querySelector('section');
  document.getElementById('result').textContent = 'RESULT ' + JSON.stringify({
    images: imgs.length, broken: broken, text: d.body.innerText.length,
    overflow: d.documentElement.scrollWidth - view, wide: wide,
    first_section: first ? first.id : null
  });
});
</script></body></html>"#;

/// Runs Chromium headless on `page` with `extra` flags.
fn run(chromium: &Path, profile: &Path, extra: &[String], page: &Path) -> std::process::Output {
    let out = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--virtual-time-budget=20000",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running Chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Opens a report folder in headless Chromium in a frame `width` px wide and returns what the
/// checker found (`images`, `broken`, `text`, `overflow`, `wide`, `first_section`); `None` (after
/// saying so) when no browser is installed outside CI. With `screenshot`, saves one.
pub fn open(report: &Path, width: u32, screenshot: Option<&Path>) -> Option<Value> {
    let Some(chromium) = browser() else {
        super::missing(
            "Chromium",
            "install it (apt-get install chromium; .ci/run does)",
        );
        return None;
    };
    let root = report.parent().unwrap();
    let name = report.file_name().unwrap().to_string_lossy();
    let page = root.join(format!("check-{width}.html"));
    fs::write(
        &page,
        CHECKER
            .replace("REPORT", &name)
            .replace("WIDTH", &width.to_string()),
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = run(&chromium, profile.path(), &["--dump-dom".into()], &page);
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("RESULT ").expect("the checker page did not run") + 7;
    let json = &dom[start..dom[start..].find('<').map_or(dom.len(), |e| start + e)];
    let result: Value =
        serde_json::from_str(&json.replace("&quot;", "\"").replace("&amp;", "&")).unwrap();
    if let Some(shot) = screenshot {
        run(
            &chromium,
            profile.path(),
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={width},2400"),
            ],
            &report.join("index.html"),
        );
        let png = fs::read(shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "an empty screenshot"
        );
        eprintln!("screenshot of the report: {}", shot.display());
    }
    Some(result)
}

/// Opens a report at 800 and 1400 px and checks what every page must pass: every image loads,
/// the findings are the first section, nothing overflows horizontally. Returns both results.
pub fn check_widths(report: &Path, screenshot: Option<&Path>) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    for width in [800, 1400] {
        let result = open(report, width, screenshot.filter(|_| width == 1400))?;
        assert_eq!(
            result["broken"],
            serde_json::json!([]),
            "images that did not load at {width} px: {result}"
        );
        assert_eq!(
            result["first_section"], "findings",
            "the findings are not the first section: {result}"
        );
        assert!(
            result["overflow"].as_i64().unwrap() <= 0,
            "the page overflows horizontally at {width} px: {result}"
        );
        out.push(result);
    }
    Some(out)
}
