//! The native part of the Python package `kddstat`: it runs kddstat's commands in process (the
//! same code, flags and bytes as the CLI) and reads data files into Parquet bytes for the
//! package's tables. Everything else is a thin wrapper in `kddstat/__init__.py`.
//!
//! Unsafe code: this crate writes none, but PyO3's macros expand to `unsafe` blocks around the
//! CPython API, so it cannot `forbid(unsafe_code)` as the library does; `deny` keeps any written by
//! hand out.
//!
//! Work runs on a thread of its own while the calling thread waits without the GIL, waking every
//! 100 ms to let Python handle signals: other Python threads keep running, and Ctrl-C interrupts
//! the call (the work already under way finishes in the background, writing nothing the user
//! owns, as an interrupted CLI run does).
#![deny(unsafe_code)]

use std::sync::mpsc;
use std::time::Duration;

use clap::Parser;
use kddstat::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

create_exception!(_kddstat, KddstatError, PyException, "Any error of kddstat.");
create_exception!(
    _kddstat,
    InputError,
    KddstatError,
    "Bad input: a file, a line, a field that breaks the schema (the CLI's exit status 1)."
);
create_exception!(
    _kddstat,
    LimitError,
    InputError,
    "An input past one of kddstat's documented limits."
);
create_exception!(
    _kddstat,
    ModelError,
    InputError,
    "A model file or saved state that cannot be used."
);
create_exception!(
    _kddstat,
    UsageError,
    KddstatError,
    "Arguments that do not make sense together (the CLI's exit status 2)."
);

/// A kddstat error as the Python exception of its kind, with the CLI's one-line message.
fn to_py(e: Error) -> PyErr {
    let message = kddstat::error::one_line(&e.to_string());
    match e {
        Error::Usage(_) | Error::InvalidParameter { .. } => UsageError::new_err(message),
        Error::Limit { .. } => LimitError::new_err(message),
        Error::Model { .. } => ModelError::new_err(message),
        Error::Internal(_) | Error::Output(_) => KddstatError::new_err(message),
        _ => InputError::new_err(message),
    }
}

/// Runs `work` on a thread of its own without the GIL, checking for signals every 100 ms.
fn detached<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("kddstat".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| KddstatError::new_err(format!("cannot start a thread: {e}")))?;
    let mut rx = rx;
    loop {
        let (got, back) = py.detach(move || (rx.recv_timeout(Duration::from_millis(100)), rx));
        rx = back;
        match got {
            Ok(out) => return Ok(out),
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(KddstatError::new_err(
                    "kddstat stopped without an answer (an internal error)",
                ));
            }
        }
    }
}

/// Runs `kddstat ARGS...` in process; returns (standard output, lines of standard error).
#[pyfunction]
fn run<'py>(py: Python<'py>, args: Vec<String>) -> PyResult<(Bound<'py, PyBytes>, Vec<String>)> {
    let argv: Vec<String> = std::iter::once("kddstat".to_string()).chain(args).collect();
    let cli = match kddstat::cmd::Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            return Err(UsageError::new_err(first));
        }
    };
    let (result, captured) = detached(py, move || {
        kddstat::output::capture(move || kddstat::cmd::run(cli))
    })?;
    result.map_err(to_py)?;
    Ok((PyBytes::new(py, &captured.stdout), captured.stderr))
}

/// The schema-checked records of a data file (any input the CLI reads) as Parquet bytes, with the
/// warnings of the read.
#[pyfunction]
#[pyo3(signature = (path, entry=None))]
fn read_parquet<'py>(
    py: Python<'py>,
    path: String,
    entry: Option<String>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<String>)> {
    let out = detached(py, move || -> Result<(Vec<u8>, Vec<String>), Error> {
        let options = kddstat::load::LoadOptions {
            entry,
            ..Default::default()
        };
        let mut ds = kddstat::load::load(&kddstat::load::Input::from_arg(&path), &options)?;
        let warnings = ds.warnings();
        let mut bytes = Vec::new();
        use polars::prelude::ParquetWriter;
        ParquetWriter::new(&mut bytes)
            .finish(&mut ds.frame)
            .map_err(|e| Error::Internal(format!("writing Parquet: {e}")))?;
        Ok((bytes, warnings))
    })?;
    let (bytes, warnings) = out.map_err(to_py)?;
    Ok((PyBytes::new(py, &bytes), warnings))
}

/// Reads and checks a model file of either kind (detector or classifier), as `score` would.
#[pyfunction]
fn check_model(py: Python<'_>, path: String) -> PyResult<()> {
    detached(py, move || {
        kddstat::classify::Saved::read(std::path::Path::new(&path)).map(|_| ())
    })?
    .map_err(to_py)
}

/// The native module.
#[pymodule]
fn _kddstat(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(read_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(check_model, m)?)?;
    m.add("KddstatError", py.get_type::<KddstatError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("LimitError", py.get_type::<LimitError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
