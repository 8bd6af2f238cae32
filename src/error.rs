//! Typed errors of the library. Each carries what a person needs to act on it: the file, the 1-based
//! line and the column, and the offending value. `Display` prints the one line the binary shows after
//! `kddstat: error: `.

use std::fmt;
use std::io;

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What is wrong with one field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The field is empty.
    Missing,
    /// Not a number at all.
    NotANumber,
    /// A number, but not a whole one, in an integer column.
    NotWhole,
    /// A negative count.
    Negative,
    /// Too large for a 64-bit integer.
    TooLarge,
    /// A 0/1 indicator holding something else.
    NotBinary,
    /// A rate outside `[0, 1]` (or NaN).
    RateOutOfRange,
    /// A difficulty level outside 0-21.
    DifficultyOutOfRange,
}

/// Every error the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be opened or read.
    #[error("{path}: {}", io_reason(source))]
    Io {
        /// The path as the user gave it.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// The path is a directory.
    #[error("{path}: is a directory, not a data file")]
    IsDirectory {
        /// The path as the user gave it.
        path: String,
    },
    /// The input holds no bytes, or no data rows.
    #[error("{path}: {what}")]
    Empty {
        /// The input's name.
        path: String,
        /// What is missing ("the file is empty", "no data rows after the header").
        what: &'static str,
    },
    /// The input is not text.
    #[error("{path}: binary data (a NUL byte at offset {offset}); expected comma-separated text")]
    Binary {
        /// The input's name.
        path: String,
        /// Byte offset of the first NUL byte.
        offset: usize,
    },
    /// The input is not valid UTF-8.
    #[error(
        "{path}:{line}: column '{column}': invalid UTF-8 (byte 0x{byte:02x} at offset {offset}); expected UTF-8 or ASCII text"
    )]
    InvalidUtf8 {
        /// The input's name.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The column the byte falls in, by position.
        column: &'static str,
        /// The first invalid byte.
        byte: u8,
        /// Its offset in the (decompressed) input.
        offset: usize,
    },
    /// A compressed input could not be decompressed, or an archive could not be read.
    #[error("{path}: {message}")]
    Archive {
        /// The input's name.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A line has the wrong number of fields.
    #[error(
        "{path}:{line}: expected {expected} fields, found {found}{}",
        if *truncated { " (the last line is cut short: is the file truncated?)" } else { "" }
    )]
    FieldCount {
        /// The input's name.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The count the layout requires.
        expected: String,
        /// The count found.
        found: usize,
        /// Whether this is a last line without a line end.
        truncated: bool,
    },
    /// A header row that does not fit the KDD layout.
    #[error("{path}:1: {message}")]
    Header {
        /// The input's name.
        path: String,
        /// What does not fit.
        message: String,
    },
    /// A field whose value breaks the schema.
    #[error(
        "{path}:{line}: column '{column}': {}",
        describe_problem(value, problem)
    )]
    Value {
        /// The input's name.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The column's schema name.
        column: &'static str,
        /// The value as found (shortened, control characters escaped).
        value: String,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The command line asks for something that does not exist (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// A parameter of a library call outside what it accepts, named as in the model file (the
    /// command layer names its flag instead; exit status 2).
    #[error("parameter {name} = {value}: {expected}")]
    InvalidParameter {
        /// The parameter's name (`k`, `components`, `far`, ...).
        name: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: String,
    },
    /// A model file that cannot be used.
    #[error("{path}: {message}")]
    Model {
        /// The model file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A packet capture that cannot be read.
    #[error("{path}: {message}")]
    Capture {
        /// The capture file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A download failed (HTTP error, cut connection, checksum mismatch).
    #[error("{url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// Default input files that are not there, with how to get them.
    #[error("{path}: not found; {hint}")]
    Missing {
        /// The path looked for.
        path: String,
        /// How to get the file.
        hint: String,
    },
    /// An input past one of kddstat's documented limits (exit status 1).
    #[error("{path}: {message}")]
    Limit {
        /// The input's name.
        path: String,
        /// Which limit, and by how much.
        message: String,
    },
    /// A fault of kddstat itself, not of the input (please report it).
    #[error("internal error: {0}")]
    Internal(String),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[source] io::Error),
}

impl Error {
    /// The process exit status for this error: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::InvalidParameter { .. } => 2,
            _ => 1,
        }
    }

    /// The error as the command line sees it: a parameter named by its flag (`--k 0: ...`).
    pub fn for_command_line(self) -> Error {
        match self {
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => Error::Usage(format!("--{} {value}: {expected}", name.replace('_', "-"))),
            other => other,
        }
    }

    /// Whether the error is a closed output pipe (`kddstat describe f | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<csv::Error> for Error {
    /// A CSV writer's failure is an output failure; an I/O error inside it (a closed pipe) keeps
    /// its kind.
    fn from(e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::Output(io),
            other => Error::Output(io::Error::other(format!("{other:?}"))),
        }
    }
}

impl From<fmt::Error> for Error {
    fn from(_: fmt::Error) -> Self {
        Error::Output(io::Error::other("formatting failed"))
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::UnexpectedEof => "unexpected end of data".to_string(),
        _ => {
            // Drop the " (os error N)" tail: it helps nobody.
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

fn describe_problem(value: &str, problem: &Problem) -> String {
    match problem {
        Problem::Missing => "missing value".to_string(),
        Problem::NotANumber => format!("'{value}' is not a number"),
        Problem::NotWhole => format!("'{value}' is not a whole number"),
        Problem::Negative => format!("'{value}' is negative; counts cannot be"),
        Problem::TooLarge => format!("'{value}' is too large"),
        Problem::NotBinary => format!("'{value}' is not 0 or 1"),
        Problem::RateOutOfRange => format!("'{value}' is not a rate in [0, 1]"),
        Problem::DifficultyOutOfRange => format!("'{value}' is not a difficulty level (0-21)"),
    }
}

/// Shows a raw field safely in one line: control and non-printable characters escaped, at most 40
/// characters kept.
pub fn show_value(raw: &[u8]) -> String {
    const MAX: usize = 40;
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\'' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A message made safe to print as one line on a terminal: control characters (newlines, ESC,
/// carriage returns) escaped as `\n`, `\u{1b}`, ..., so a name taken from a file, a saved state or
/// the environment can neither start a fake line nor drive the terminal.
pub fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_print_as_one_safe_line() {
        assert_eq!(one_line("a.txt"), "a.txt");
        assert_eq!(
            one_line("x\nkddstat: error: \u{1b}[31mred"),
            "x\\nkddstat: error: \\u{1b}[31mred"
        );
    }

    #[test]
    fn value_error_reads_as_one_line() {
        let e = Error::Value {
            path: "KDDTest+.txt".into(),
            line: 118,
            column: "src_bytes",
            value: "abc".into(),
            problem: Problem::NotANumber,
        };
        assert_eq!(
            e.to_string(),
            "KDDTest+.txt:118: column 'src_bytes': 'abc' is not a number"
        );
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn values_are_escaped_and_shortened() {
        assert_eq!(show_value(b"a\tb\n"), "a\\tb\\n");
        assert_eq!(show_value(&[b'x'; 50]).chars().count(), 41);
    }
}
