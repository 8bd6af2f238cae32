//! Reading an input in bounded chunks: the same parser and checks as a whole load, a block of
//! whole lines at a time, so memory depends on the block size and not on the file's.
//!
//! A plain text file, standard input and a gzip stream are read as they come (a gzip stream
//! within `--max-decompressed`, its text checked for NUL bytes block by block); a zip member of
//! a file as it is decompressed (its directory read first), a Parquet file by row group. Inputs
//! that cannot be read as a stream — a zip archive or Parquet on standard input (their
//! directories are at their ends), a second compression layer — are read whole within the same
//! limits, as [`super::load`] does, and given as one chunk. Line numbers and byte offsets in
//! errors are those of the whole input; the SHA-256 of the decompressed text is computed on the
//! way ([`Stream::sha256`]).

use std::io::{self, Read};
use std::sync::mpsc;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::parse::{Columns, Sink};
use super::source::{self, Input};
use super::{Dataset, LineLayout, LoadOptions, Parsed, check_start, check_text, parquet};
use crate::error::{Error, Result};

/// Bytes of text parsed at a time (whole lines).
pub const BLOCK_BYTES: usize = 32 << 20;
/// The longest line read (a record is under 1 KB; blank lines of any length are skipped).
pub const MAX_LINE_BYTES: usize = 32 << 20;

/// The block size streams are read in: [`BLOCK_BYTES`], or `KDDSTAT_BLOCK_BYTES` (a knob for
/// tests: every figure is the same whatever the block).
pub fn block_bytes() -> usize {
    std::env::var("KDDSTAT_BLOCK_BYTES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&b| b > 0)
        .unwrap_or(BLOCK_BYTES)
}

/// Whether an input is a file of at most one block: read whole, it takes little memory and
/// commands that read a stream several times read it once.
pub fn fits_one_block(input: &Input) -> bool {
    match input {
        Input::Path(p) | Input::Member { archive: p, .. } => std::fs::metadata(p).is_ok_and(|m| {
            // Parquet holds about a tenth of its text's size (KDDTrain+: 2.3 MB for 19 MB); a
            // zip or gzip of KDD records about a thirtieth (kddcup99 10%: 2.4 MB for 74 MB).
            let start = std::fs::File::open(p)
                .and_then(|f| peek(&mut io::BufReader::new(f), 4))
                .unwrap_or_default();
            let ratio = if start.starts_with(parquet::MAGIC) {
                10
            } else if container(&start) {
                32
            } else {
                1
            };
            m.is_file() && m.len().saturating_mul(ratio) <= block_bytes() as u64
        }),
        _ => false,
    }
}

/// The chunks of one input.
pub struct Stream {
    name: String,
    options: LoadOptions,
    /// Inputs read whole: their one chunk, not yet given.
    whole: Option<Dataset>,
    /// Streamed inputs: the reading side, until the first chunk is asked for.
    cutter: Option<Cutter>,
    /// Streamed inputs: the blocks of text a reading thread sends, one ahead of the parsing.
    blocks: Option<mpsc::Receiver<Message>>,
    plan: Option<LineLayout>,
    rows: usize,
    /// Bytes of text read.
    bytes: usize,
    /// The SHA-256 of the text, when asked for ([`Stream::hashed`]): of an input read whole at
    /// once, of a stream once it ended.
    sha: Option<String>,
    hashing: bool,
    done: bool,
    /// The text of the last chunk given and the lines of the input before it.
    last_text: Option<(String, usize)>,
}

/// A chunk of an input: its records parsed into sinks, or the dataset of an input read whole.
pub(crate) enum Chunk<S> {
    /// An input read whole (nested compression, a container on standard input).
    Whole(Dataset),
    /// A block of a streamed input.
    Parsed(Parsed<S>),
}

/// What the reading thread sends.
enum Message {
    /// A block of whole lines, checked to be text.
    Text(Text),
    /// The end of the input: bytes read and the SHA-256 when asked for.
    End(usize, Option<String>),
    /// What stopped the reading.
    Failed(Error),
}

/// A block of whole lines, checked to be text, with the offset and line of its start.
struct Text {
    text: String,
    offset: usize,
    line: usize,
}

/// The reading side of a stream: reads the input, cuts it into blocks of whole lines, checks
/// them (a capture named as such, NUL bytes, UTF-8, the longest line) and hashes them, so that
/// parsing one block overlaps reading the next.
struct Cutter {
    name: String,
    reader: Option<Box<dyn Read + Send>>,
    /// Counts decompressed bytes against `max` (gzip streams only).
    limited: bool,
    max: u64,
    block: usize,
    buf: Vec<u8>,
    /// Lines and bytes of the input before `buf`.
    line: usize,
    offset: usize,
    hash: Option<Sha256>,
    /// A file whose bytes are hashed, not the text made of them (Parquet).
    raw: Option<std::path::PathBuf>,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// Whether the first bytes of a stream are another container (zip, gzip, Parquet) rather than
/// text or a capture.
fn container(start: &[u8]) -> bool {
    start.starts_with(b"PK\x03\x04")
        || start.starts_with(b"PK\x05\x06")
        || start.starts_with(b"PAR1")
        || start.starts_with(GZIP_MAGIC)
}

/// Reads up to `n` bytes (fewer only at the end of the stream).
fn peek(reader: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    reader.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

fn gzip_error(name: &str, e: io::Error) -> Error {
    Error::Archive {
        path: name.to_string(),
        message: match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                "the gzip stream ends early: the file is truncated".to_string()
            }
            _ => format!("not a valid gzip stream: {e}"),
        },
    }
}

impl Stream {
    /// Opens an input for reading in chunks of about [`BLOCK_BYTES`] (or `KDDSTAT_BLOCK_BYTES`,
    /// a knob for tests: every figure is the same whatever the block).
    pub fn open(input: &Input, options: &LoadOptions) -> Result<Stream> {
        Self::open_with(input, options, block_bytes())
    }

    /// Opens an input for reading in chunks of about `block` bytes.
    pub fn open_with(input: &Input, options: &LoadOptions, block: usize) -> Result<Stream> {
        let name = input.name();
        let io_error = |source| Error::Io {
            path: name.clone(),
            source,
        };
        let stream = Stream::new(&name, options);
        let mut raw: Box<dyn Read + Send> = match input {
            Input::Member { archive, member } => {
                return stream.open_member(input, archive, archive, Some(member), block);
            }
            Input::Path(p) => {
                let meta = std::fs::metadata(p).map_err(io_error)?;
                if meta.is_dir() {
                    // A folder of Zeek logs ([`expand`] keeps one whole): its files, in name
                    // order, read as one log, so its connections are put in start order across
                    // the files (rotated logs). Any other folder is not a data file.
                    let files = folder_files(p)
                        .ok()
                        .filter(|f| f.iter().all(|f| starts_as_zeek(f)))
                        .ok_or_else(|| Error::IsDirectory { path: name.clone() })?;
                    let mut logs = Concat {
                        files: files.into(),
                        current: None,
                    };
                    let records = crate::connection::zeek::RecordsText::new(&name, &mut logs)?;
                    return Ok(Stream {
                        cutter: Some(Cutter::new(&name, Box::new(records), true, options, block)),
                        ..stream
                    });
                }
                Box::new(std::fs::File::open(p).map_err(io_error)?)
            }
            Input::Stdin => Box::new(io::stdin()),
        };
        let start = peek(&mut raw, 4).map_err(io_error)?;
        if let (Input::Path(p), true) = (input, start.starts_with(parquet::MAGIC)) {
            // Parquet by row groups: its text made one row group at a time.
            let p = std::path::Path::new(p);
            let text = parquet::RowGroupText::open(&name, p, options.limits.max_decompressed)?;
            let mut cutter = Cutter::new(&name, Box::new(text), false, options, block);
            cutter.raw = Some(p.to_path_buf());
            return Ok(Stream {
                cutter: Some(cutter),
                ..stream
            });
        }
        let mut reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(start.clone()).chain(raw));
        let mut limited = false;
        if start.starts_with(GZIP_MAGIC) {
            let mut inner: Box<dyn Read + Send> = Box::new(MultiGzDecoder::new(reader));
            let inner_start = peek(&mut inner, 4).map_err(|e| gzip_error(&name, e))?;
            if container(&inner_start) {
                // A second layer: read whole, as a whole load does.
                if matches!(input, Input::Stdin) {
                    return stream.read_whole_stdin(inner_start, &mut inner, true);
                }
                return stream.read_whole(input);
            }
            limited = true;
            reader = Box::new(io::Cursor::new(inner_start).chain(inner));
        } else if container(&start) {
            if matches!(input, Input::Stdin) {
                return stream.read_whole_stdin(Vec::new(), &mut reader, false);
            }
            if let Input::Path(p) = input {
                drop(reader);
                let entry = options.entry.clone();
                return stream.open_member(input, p, &name, entry.as_deref(), block);
            }
            return stream.read_whole(input);
        }
        if options.entry.is_some() {
            return Err(Error::Usage(format!(
                "{name}: --entry applies to .zip archives only, and this is not one"
            )));
        }
        let text_start = peek(&mut reader, 64).map_err(io_error)?;
        if crate::connection::zeek::is_zeek(&text_start) {
            // A Zeek log: its connections are put in start order (bounded memory), then their
            // records are read as the text of any other input.
            let mut log = io::Cursor::new(text_start).chain(reader);
            let records = crate::connection::zeek::RecordsText::new(&name, &mut log)?;
            return Ok(Stream {
                cutter: Some(Cutter::new(
                    &name,
                    Box::new(records),
                    limited,
                    options,
                    block,
                )),
                ..stream
            });
        }
        reader = Box::new(io::Cursor::new(text_start).chain(reader));
        Ok(Stream {
            cutter: Some(Cutter::new(&name, reader, limited, options, block)),
            ..stream
        })
    }

    /// Streams the member of the zip archive at `path` (shown as `name`) that `entry` or the
    /// archive's only data file names; a member compressed again is read whole.
    fn open_member(
        self,
        input: &Input,
        path: &str,
        name: &str,
        entry: Option<&str>,
        block: usize,
    ) -> Result<Stream> {
        match source::open_member(std::path::Path::new(path), name, entry)? {
            Some((member, reader)) => Ok(Stream {
                cutter: Some(Cutter::new(&member, reader, true, &self.options, block)),
                name: member,
                ..self
            }),
            None => self.read_whole(input),
        }
    }

    /// A stream named `name` that has read nothing yet.
    fn new(name: &str, options: &LoadOptions) -> Stream {
        Stream {
            name: name.to_string(),
            options: options.clone(),
            whole: None,
            cutter: None,
            blocks: None,
            plan: None,
            rows: 0,
            bytes: 0,
            sha: None,
            hashing: false,
            done: false,
            last_text: None,
        }
    }

    /// A stream of text from any reader (named `name` in messages), read in chunks of about
    /// `block` bytes; compressed or binary content is refused as a whole load would refuse it.
    pub fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
        options: &LoadOptions,
        block: usize,
    ) -> Result<Stream> {
        Ok(Stream {
            cutter: Some(Cutter::new(name, reader, false, options, block)),
            ..Stream::new(name, options)
        })
    }

    /// Reads an input whole (archives, Parquet, nested compression) as its one chunk.
    fn read_whole(self, input: &Input) -> Result<Stream> {
        let raw =
            source::read_input_with(input, self.options.entry.as_deref(), self.options.limits)?;
        self.take_whole(raw)
    }

    /// Reads the rest of standard input whole after its first bytes, `start` (a container read
    /// from it cannot be read from its start again), within the decompression limit.
    fn read_whole_stdin(self, start: Vec<u8>, rest: &mut dyn Read, gz: bool) -> Result<Stream> {
        let max = self.options.limits.max_decompressed;
        let mut bytes = start;
        rest.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| {
                if gz {
                    gzip_error(&self.name, e)
                } else {
                    Error::Io {
                        path: self.name.clone(),
                        source: e,
                    }
                }
            })?;
        if bytes.len() as u64 > max {
            return Err(Error::Archive {
                path: self.name.clone(),
                message: format!(
                    "decompresses to more than {max} bytes (the limit; raise it with --max-decompressed)"
                ),
            });
        }
        let raw = source::read_bytes(
            &self.name,
            bytes,
            self.options.entry.as_deref(),
            self.options.limits,
        )?;
        self.take_whole(raw)
    }

    /// Parses an input read whole as its one chunk.
    fn take_whole(mut self, raw: source::SourceText) -> Result<Stream> {
        self.sha = Some(crate::output::sha256_hex(&raw.bytes));
        let ds = super::parse_any(&raw, &self.options)?;
        self.name = raw.name;
        self.rows = ds.rows();
        self.whole = Some(ds);
        Ok(self)
    }

    /// The input's name as shown.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the input is read whole (nested compression, a container on standard input)
    /// rather than streamed.
    pub fn is_whole(&self) -> bool {
        self.whole.is_some()
    }

    /// The text of the chunk last given (whole lines, a byte order mark included) and the number
    /// of lines of the input before it: a row's line `n` is line `n - 1 - before` of the text.
    /// `None` for inputs read whole.
    pub fn last_text(&self) -> Option<(&str, usize)> {
        self.last_text.as_ref().map(|(t, l)| (t.as_str(), *l))
    }

    /// Computes the SHA-256 of the decompressed text as it is read (call before the first
    /// chunk).
    pub fn hashed(mut self) -> Stream {
        self.hashing = true;
        if let Some(c) = self.cutter.as_mut() {
            c.hash = Some(Sha256::new());
        }
        self
    }

    /// The SHA-256 of the decompressed text once every chunk was read, when asked for with
    /// [`Stream::hashed`].
    pub fn sha256(&self) -> Option<String> {
        if self.hashing { self.sha.clone() } else { None }
    }

    /// The SHA-256 of an input's decompressed text, read through without parsing it.
    pub fn text_sha256(input: &Input, options: &LoadOptions) -> Result<String> {
        let mut s = Stream::open(input, options)?.hashed();
        if s.whole.is_none() {
            while s.next_text()?.is_some() {}
        }
        s.sha
            .clone()
            .ok_or_else(|| Error::Internal(format!("{}: no hash of its text", s.name)))
    }

    /// The next block of text from the reading thread (started on the first call).
    fn next_text(&mut self) -> Result<Option<Text>> {
        if let Some(mut cutter) = self.cutter.take() {
            let (tx, rx) = mpsc::sync_channel(1);
            std::thread::spawn(move || {
                loop {
                    let message = match cutter.next_text() {
                        Ok(Some(t)) => Message::Text(t),
                        Ok(None) => match cutter.finish_hash() {
                            Ok(sha) => Message::End(cutter.offset, sha),
                            Err(e) => Message::Failed(e),
                        },
                        Err(e) => Message::Failed(e),
                    };
                    let last = !matches!(message, Message::Text(_));
                    if tx.send(message).is_err() || last {
                        break;
                    }
                }
            });
            self.blocks = Some(rx);
        }
        let Some(rx) = &self.blocks else {
            return Ok(None);
        };
        match rx.recv() {
            Ok(Message::Text(t)) => Ok(Some(t)),
            Ok(Message::End(bytes, sha)) => {
                self.bytes = bytes;
                self.sha = sha;
                self.blocks = None;
                Ok(None)
            }
            Ok(Message::Failed(e)) => {
                self.blocks = None;
                Err(e)
            }
            Err(_) => Err(Error::Internal(format!(
                "{}: the reading thread stopped",
                self.name
            ))),
        }
    }

    /// The next chunk of records, or `None` after the last.
    fn next_chunk(&mut self) -> Result<Option<Dataset>> {
        Ok(match self.next_parsed::<Columns>(&())? {
            Some(Chunk::Whole(ds)) => Some(ds),
            Some(Chunk::Parsed(p)) => Some(p.into_dataset()?),
            None => None,
        })
    }

    /// The next chunk of records parsed into sinks of type `S` (a dataset for an input read
    /// whole), or `None` after the last. After an error the stream gives nothing more.
    pub(crate) fn next_into<S: Sink>(&mut self, config: &S::Config) -> Result<Option<Chunk<S>>> {
        let next = self.next_parsed(config);
        if next.is_err() {
            self.stop();
        }
        next
    }

    /// Stops reading (after an error).
    fn stop(&mut self) {
        self.done = true;
        self.blocks = None;
        self.cutter = None;
    }

    fn next_parsed<S: Sink>(&mut self, config: &S::Config) -> Result<Option<Chunk<S>>> {
        if let Some(ds) = self.whole.take() {
            self.done = true;
            return Ok(Some(Chunk::Whole(ds)));
        }
        if self.done {
            return Ok(None);
        }
        while let Some(Text { text, offset, line }) = self.next_text()? {
            let whole_text = text;
            let text = if offset == 0 {
                whole_text.strip_prefix('\u{feff}').unwrap_or(&whole_text)
            } else {
                &whole_text
            };
            let parsed = match &self.plan {
                Some(plan) => {
                    plan.parse_into(self.name.clone(), text, line, &self.options, config)?
                }
                None => {
                    if text.bytes().all(|b| b.is_ascii_whitespace()) {
                        continue;
                    }
                    let (plan, body) = LineLayout::read(&self.name, text)?;
                    let parsed = plan.parse_into(
                        self.name.clone(),
                        body,
                        line + plan.skipped,
                        &self.options,
                        config,
                    )?;
                    self.plan = Some(plan);
                    parsed
                }
            };
            if parsed.rows > 0 {
                self.rows += parsed.rows;
                self.last_text = Some((whole_text, line));
                return Ok(Some(Chunk::Parsed(parsed)));
            }
        }
        self.done = true;
        if self.rows == 0 {
            return Err(Error::Empty {
                path: self.name.clone(),
                what: match (&self.plan, self.bytes) {
                    (Some(_), _) => "no data rows after the header",
                    (None, 0) => "the file is empty",
                    (None, _) => "the file holds only blank lines",
                },
            });
        }
        Ok(None)
    }
}

impl Cutter {
    fn new(
        name: &str,
        reader: Box<dyn Read + Send>,
        limited: bool,
        options: &LoadOptions,
        block: usize,
    ) -> Cutter {
        Cutter {
            name: name.to_string(),
            reader: Some(reader),
            limited,
            max: options.limits.max_decompressed,
            block: block.max(1),
            buf: Vec::new(),
            line: 0,
            offset: 0,
            hash: None,
            raw: None,
        }
    }

    /// The SHA-256 asked for: of the text read, or of the file's bytes when the text was made
    /// of them.
    fn finish_hash(&mut self) -> Result<Option<String>> {
        let Some(mut h) = self.hash.take() else {
            return Ok(None);
        };
        if let Some(path) = &self.raw {
            h = Sha256::new();
            let io_error = |source| Error::Io {
                path: self.name.clone(),
                source,
            };
            let mut file = std::fs::File::open(path).map_err(io_error)?;
            io::copy(&mut file, &mut h).map_err(io_error)?;
        }
        Ok(Some(hex(&h.finalize())))
    }

    /// Reads more of the input into the buffer (about a block); at the end, drops the reader.
    fn fill(&mut self) -> Result<()> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(());
        };
        let want = self.block.saturating_sub(self.buf.len()).max(1 << 16);
        let before = self.buf.len();
        let n = match reader.take(want as u64).read_to_end(&mut self.buf) {
            Ok(n) => n,
            Err(e) => {
                self.reader = None;
                // An error of kddstat's own, carried through a reader (Parquet row groups).
                if e.get_ref().is_some_and(|i| i.is::<Error>()) {
                    return Err(match e.into_inner().map(|b| b.downcast::<Error>()) {
                        Some(Ok(inner)) => *inner,
                        _ => Error::Internal(format!("{}: a read error was lost", self.name)),
                    });
                }
                return Err(if self.limited {
                    gzip_error(&self.name, e)
                } else {
                    Error::Io {
                        path: self.name.clone(),
                        source: e,
                    }
                });
            }
        };
        if self.limited && (self.offset + self.buf.len()) as u64 > self.max {
            return Err(Error::Archive {
                path: self.name.clone(),
                message: format!(
                    "decompresses to more than {} bytes (the limit; raise it with --max-decompressed)",
                    self.max
                ),
            });
        }
        // A capture is named as such; other binary data stops at its first NUL byte, as it comes.
        if self.offset == 0 && before == 0 {
            check_start(&self.name, &self.buf)?;
        }
        if let Some(i) = memchr::memchr(0, &self.buf[before..]) {
            return Err(Error::Binary {
                path: self.name.clone(),
                offset: self.offset + before + i,
            });
        }
        if n == 0 {
            self.reader = None;
        }
        Ok(())
    }

    /// The next block of whole lines (the rest of the input at its end), or `None`.
    fn next_block(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            let at_end = self.reader.is_none();
            if self.buf.len() >= self.block || at_end {
                let cut = if at_end {
                    self.buf.len()
                } else if let Some(i) = memchr::memrchr(b'\n', &self.buf) {
                    i + 1
                } else if self.buf.len() > MAX_LINE_BYTES.max(self.block) {
                    // No line end within a block and more: a run of blanks is skipped as it
                    // comes (blank lines of any length are), anything else is no record.
                    if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                        if let Some(h) = self.hash.as_mut() {
                            h.update(&self.buf);
                        }
                        self.offset += self.buf.len();
                        self.buf.clear();
                        self.fill()?;
                        continue;
                    }
                    return Err(Error::Limit {
                        path: self.name.clone(),
                        message: format!(
                            "line {} is longer than {} bytes: not a connection record (a KDD \
                             record is under 1 KB)",
                            self.line + 1,
                            MAX_LINE_BYTES.max(self.block)
                        ),
                    });
                } else {
                    // A line longer than a block: read on until it ends.
                    self.fill()?;
                    continue;
                };
                if cut == 0 {
                    return Ok(None);
                }
                let rest = self.buf.split_off(cut);
                return Ok(Some(std::mem::replace(&mut self.buf, rest)));
            }
            self.fill()?;
        }
    }

    /// The next block, checked to be text, with where it starts.
    fn next_text(&mut self) -> Result<Option<Text>> {
        let Some(block) = self.next_block()? else {
            return Ok(None);
        };
        if let Some(h) = self.hash.as_mut() {
            h.update(&block);
        }
        let (offset, line) = (self.offset, self.line);
        self.offset += block.len();
        self.line += memchr::memchr_iter(b'\n', &block).count();
        // NUL bytes were refused as they came; the UTF-8 check names the place of a bad byte.
        let text = match String::from_utf8(block) {
            Ok(t) => t,
            Err(e) => {
                check_text(&self.name, e.as_bytes(), offset, line)?;
                return Err(Error::Internal(format!(
                    "{}: text not UTF-8 passed the check",
                    self.name
                )));
            }
        };
        Ok(Some(Text { text, offset, line }))
    }
}

impl Iterator for Stream {
    type Item = Result<Dataset>;

    fn next(&mut self) -> Option<Result<Dataset>> {
        match self.next_chunk() {
            Ok(Some(ds)) => Some(Ok(ds)),
            Ok(None) => None,
            Err(e) => {
                self.stop();
                Some(Err(e))
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The inputs a data-file argument names: the files of a folder (sorted by name, hidden files
/// and sub-folders skipped) read as one dataset, else the argument itself.
pub fn expand(arg: &str) -> Result<Vec<Input>> {
    let path = std::path::Path::new(arg);
    // `x.zip:y` names both a file and the member `y` of the archive `x.zip`: never chosen
    // silently.
    if path.exists()
        && let Some((archive, member)) = arg
            .match_indices(':')
            .map(|(i, _)| (&arg[..i], &arg[i + 1..]))
            .find(|(a, m)| !m.is_empty() && std::path::Path::new(a).is_file())
    {
        return Err(Error::Usage(format!(
            "{arg}: names both a file and the member '{member}' of the archive {archive}; rename \
             the file, or give the archive with --entry {member}"
        )));
    }
    if arg == "-" || !path.is_dir() {
        return Ok(vec![Input::from_arg(arg)]);
    }
    let files = folder_files(arg)?;
    if files.iter().all(|f| starts_as_zeek(f)) {
        // Rotated Zeek logs: read as one log (their windows span the files).
        return Ok(vec![Input::Path(arg.to_string())]);
    }
    Ok(files
        .into_iter()
        .map(|f| Input::Path(f.display().to_string()))
        .collect())
}

/// The files of a folder (not hidden ones), in name order.
fn folder_files(arg: &str) -> Result<Vec<std::path::PathBuf>> {
    let io_error = |source| Error::Io {
        path: arg.to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(arg).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::Empty {
            path: arg.to_string(),
            what: "the folder holds no file",
        });
    }
    Ok(files)
}

/// A Zeek log folder's files, in name order, as one reader (plain or gzip each): what
/// `kddstat zeek FOLDER` converts.
pub fn logs_of_folder(folder: &str) -> Result<Box<dyn Read + Send>> {
    Ok(Box::new(Concat {
        files: folder_files(folder)?.into(),
        current: None,
    }))
}

/// Opens a file, decompressing it when it is gzip.
fn open_plain_or_gzip(path: &std::path::Path) -> io::Result<Box<dyn Read + Send>> {
    let mut file: Box<dyn Read + Send> = Box::new(std::fs::File::open(path)?);
    let start = peek(&mut file, 2)?;
    let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(start.clone()).chain(file));
    Ok(if start.starts_with(GZIP_MAGIC) {
        Box::new(MultiGzDecoder::new(whole))
    } else {
        whole
    })
}

/// Whether a file (plain or gzip) starts as a Zeek log.
fn starts_as_zeek(path: &std::path::Path) -> bool {
    open_plain_or_gzip(path)
        .and_then(|mut r| peek(&mut r, 64))
        .is_ok_and(|start| crate::connection::zeek::is_zeek(&start))
}

/// Files read one after another (each opened when the previous ends).
struct Concat {
    files: std::collections::VecDeque<std::path::PathBuf>,
    current: Option<Box<dyn Read + Send>>,
}

impl Read for Concat {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.current.is_none() {
                let Some(next) = self.files.pop_front() else {
                    return Ok(0);
                };
                self.current = Some(open_plain_or_gzip(&next)?);
            }
            let n = self.current.as_mut().map_or(Ok(0), |r| r.read(buf))?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = None;
        }
    }
}
