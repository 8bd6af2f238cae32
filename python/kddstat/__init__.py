"""kddstat from Python: the same figures, models and reports as the ``kddstat`` command line.

Every function runs kddstat's own code in process (the Rust library underneath, with the GIL
released), with the CLI's flags, so results are the CLI's to the byte: ``describe(p).to_dict()``
is ``kddstat describe p --format json``, a model saved from Python is the file ``kddstat fit``
writes. Data come in as a path (anything the CLI reads: text, CSV, gzip, zip members, Parquet,
packet captures, Zeek logs) or as a table (a polars or pandas DataFrame, a pyarrow Table or
RecordBatch, any object with the Arrow PyCapsule interface); tables come back as :class:`Table`,
which converts with ``to_polars()``, ``to_pandas()``, ``to_arrow()`` and the Arrow PyCapsule
interface (``pl.DataFrame(t)``, ``pa.table(t)``). Nothing but the standard library is needed to
import the package.

Errors are :class:`KddstatError` (``InputError``, ``LimitError``, ``ModelError``, ``UsageError``)
with the CLI's one-line message; warnings go through :mod:`warnings` as :class:`KddstatWarning`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _kddstat
from ._kddstat import (
    InputError,
    KddstatError,
    LimitError,
    ModelError,
    UsageError,
)

__version__ = _kddstat.__version__

__all__ = [
    "Capture",
    "Describe",
    "DescribeState",
    "InputError",
    "KddstatError",
    "KddstatWarning",
    "LimitError",
    "Model",
    "ModelError",
    "Report",
    "Table",
    "UsageError",
    "clean",
    "compare",
    "describe",
    "evaluate",
    "fit",
    "load_model",
    "pcap",
    "read",
    "report",
    "stats",
    "tune",
    "zeek",
]


class KddstatWarning(UserWarning):
    """A warning of kddstat (an unknown label, a sampled training file, ...)."""


# ---------------------------------------------------------------------------------------------
# Running the CLI's code in process


def _run(args: Sequence[str]) -> bytes:
    """Runs ``kddstat ARGS`` in process; re-emits its warnings; returns its standard output."""
    out, err = _kddstat.run([str(a) for a in args])
    for line in err:
        if line.startswith("kddstat: warning: "):
            warnings.warn(line[len("kddstat: warning: "):], KddstatWarning, stacklevel=3)
    return bytes(out)


def _run_json(args: Sequence[str]) -> Any:
    return json.loads(_run(args))


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _params(params: Dict[str, Any]) -> List[str]:
    """Keyword parameters as the CLI's flags: ``k=8`` is ``--k 8``, ``robust=True`` ``--robust``."""
    out: List[str] = []
    for key, value in params.items():
        if value is None or value is False:
            continue
        if value is True:
            out.append(_flag(key))
        elif isinstance(value, (list, tuple)):
            out += [_flag(key), ",".join(str(v) for v in value)]
        else:
            out += [_flag(key), str(value)]
    return out


class _Source:
    """A data argument as a path the CLI reads: a path as it is, a table written to a temporary
    Parquet file (removed when done)."""

    def __init__(self, src: Any):
        self._tmp: Optional[str] = None
        if isinstance(src, (str, os.PathLike)):
            self.path = os.fspath(src)
            return
        data = _parquet_bytes(src)
        fd, self._tmp = tempfile.mkstemp(prefix="kddstat-", suffix=".parquet")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        self.path = self._tmp

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc: Any) -> None:
        if self._tmp is not None:
            try:
                os.remove(self._tmp)
            except OSError:
                pass


def _parquet_bytes(obj: Any) -> bytes:
    """A table as Parquet bytes: a :class:`Table` as it is, a polars DataFrame by its own writer,
    anything with the Arrow PyCapsule interface (pyarrow, pandas through pyarrow) by pyarrow."""
    if isinstance(obj, Table):
        return obj._parquet()
    module = type(obj).__module__.split(".")[0]
    if module == "polars" and hasattr(obj, "write_parquet"):
        buf = io.BytesIO()
        obj.write_parquet(buf)
        return buf.getvalue()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise UsageError(
            f"reading a {type(obj).__name__} needs pyarrow (pip install pyarrow), or pass a path"
        ) from e
    if module == "pandas":
        table = pa.Table.from_pandas(obj, preserve_index=False)
    elif hasattr(obj, "__arrow_c_stream__") or hasattr(obj, "__arrow_c_array__"):
        table = pa.table(obj)
    else:
        raise UsageError(
            f"a {type(obj).__name__} is neither a path nor a table (polars, pandas, pyarrow, or "
            "an object with the Arrow PyCapsule interface)"
        )
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return buf.getvalue().to_pybytes()


# ---------------------------------------------------------------------------------------------
# Tables


class Table:
    """A table of results or records. Converts with :meth:`to_polars`, :meth:`to_pandas`,
    :meth:`to_arrow`; exposes the Arrow PyCapsule interface (``pa.table(t)``, ``pl.DataFrame(t)``
    through pyarrow)."""

    def __init__(self, columns: Optional[Dict[str, list]] = None, *, parquet: Optional[bytes] = None):
        self._columns = columns
        self._bytes = parquet

    @classmethod
    def _from_rows(cls, rows: Iterable[Dict[str, Any]]) -> "Table":
        rows = list(rows)
        names: List[str] = []
        for r in rows:
            for k in r:
                if k not in names:
                    names.append(k)
        return cls({n: [r.get(n) for r in rows] for n in names})

    def _parquet(self) -> bytes:
        if self._bytes is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            buf = pa.BufferOutputStream()
            pq.write_table(pa.table(self._columns), buf)
            self._bytes = buf.getvalue().to_pybytes()
        return self._bytes

    def to_arrow(self):
        """A ``pyarrow.Table``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._columns is not None:
            return pa.table(self._columns)
        return pq.read_table(pa.BufferReader(self._bytes))

    def to_polars(self):
        """A ``polars.DataFrame``."""
        import polars as pl

        if self._columns is not None:
            return pl.DataFrame(self._columns, strict=False)
        return pl.read_parquet(io.BytesIO(self._bytes))

    def to_pandas(self):
        """A ``pandas.DataFrame``."""
        import pandas as pd

        if self._columns is not None:
            return pd.DataFrame(self._columns)
        return pd.read_parquet(io.BytesIO(self._bytes))

    def to_dict(self) -> Dict[str, list]:
        """The columns as lists."""
        if self._columns is not None:
            return {k: list(v) for k, v in self._columns.items()}
        return self.to_arrow().to_pydict()

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    @property
    def columns(self) -> List[str]:
        if self._columns is not None:
            return list(self._columns)
        return self.to_arrow().column_names

    def __len__(self) -> int:
        if self._columns is not None:
            return len(next(iter(self._columns.values()), []))
        return self.to_arrow().num_rows

    def __repr__(self) -> str:
        return f"<kddstat.Table: {len(self)} rows, {len(self.columns)} columns>"


def read(src: Any, entry: Optional[str] = None) -> Table:
    """The schema-checked records of a data file (or a table), as the CLI reads them."""
    with _Source(src) as path:
        data, warns = _kddstat.read_parquet(path, entry)
    for w in warns:
        warnings.warn(w, KddstatWarning, stacklevel=2)
    return Table(parquet=bytes(data))


# ---------------------------------------------------------------------------------------------
# Statistics


class Describe:
    """The figures of ``kddstat describe``: :meth:`to_dict` is its ``--format json`` document;
    :attr:`numeric` and :attr:`categorical` are tables of them."""

    def __init__(self, doc: Dict[str, Any]):
        self._doc = doc

    def to_dict(self) -> Dict[str, Any]:
        """The CLI's ``describe --format json`` document."""
        return json.loads(json.dumps(self._doc))

    @property
    def files(self) -> List[Dict[str, Any]]:
        return self._doc["files"]

    @property
    def numeric(self) -> Table:
        """One row per file and numeric column: count, mean, std, min, quartiles, max, ..."""
        rows = []
        for f in self.files:
            for column, figures in f["numeric"].items():
                rows.append({"file": f["path"], "column": column, **figures})
        return Table._from_rows(rows)

    @property
    def categorical(self) -> Table:
        """One row per file, categorical column and value: its count."""
        rows = []
        for f in self.files:
            for column, figures in f["categorical"].items():
                for value, count in figures["counts"].items():
                    rows.append({"file": f["path"], "column": column, "value": value, "count": count})
        return Table._from_rows(rows)

    def __repr__(self) -> str:
        parts = ", ".join(f"{f['path']}: {f['rows']} rows" for f in self.files)
        return f"<kddstat.Describe {parts}>"


def _describe_args(by: Optional[str], columns: Optional[Sequence[str]]) -> List[str]:
    out = []
    if by:
        out += ["--by", by]
    if columns:
        out += ["--columns", ",".join(columns)]
    return out


def describe(src: Any, by: Optional[str] = None, columns: Optional[Sequence[str]] = None) -> Describe:
    """Exact statistics of a data file or table (``kddstat describe``); ``by`` is ``"category"``
    or ``"label"``."""
    with _Source(src) as path:
        return Describe(_run_json(["describe", path, "--format", "json"] + _describe_args(by, columns)))


def stats(src: Any, by: str = "category") -> Dict[str, Any]:
    """Per-class profiles, correlations, relevance and alerts (``kddstat stats --format json``)."""
    with _Source(src) as path:
        return _run_json(["stats", path, "--by", by, "--format", "json"])


def compare(train: Any, test: Any) -> Dict[str, Any]:
    """Drift between a training and a test file (``kddstat compare --format json``)."""
    with _Source(train) as a, _Source(test) as b:
        return _run_json(["compare", "--train", a, "--test", b, "--format", "json"])


def clean(
    src: Any,
    output: Optional[Union[str, os.PathLike]] = None,
    drop_duplicates: bool = False,
    drop_conflicts: bool = False,
    drop_constant: bool = False,
    force: bool = False,
) -> Dict[str, Any]:
    """Findings of ``kddstat clean`` (duplicates, conflicts, constant columns) and, with
    ``output`` (``.csv`` or ``.parquet``), the cleaned copy written there; without it the
    cleaned records are in the result's ``"table"``."""
    flags = _params(
        {"drop_duplicates": drop_duplicates, "drop_conflicts": drop_conflicts, "drop_constant": drop_constant}
    )
    with _Source(src) as path:
        if output is not None:
            return _run_json(["clean", path, "-o", os.fspath(output), "--format", "json"] + flags + (["--force"] if force else []))
        with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
            out = os.path.join(d, "clean.parquet")
            result = _run_json(["clean", path, "-o", out, "--format", "json"] + flags)
            with open(out, "rb") as f:
                result["table"] = Table(parquet=f.read())
            return result


class DescribeState:
    """The mergeable exact state of ``describe`` (the CLI's ``--state-out`` bytes): update it with
    tables or files, merge states made elsewhere, finish into :class:`Describe`."""

    def __init__(self, by: Optional[str] = None, columns: Optional[Sequence[str]] = None):
        self._by = by
        self._columns = columns
        self._bytes: Optional[bytes] = None

    def _with_state(self, args: List[str]) -> bytes:
        with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
            if self._bytes is not None:
                p = os.path.join(d, "state.json")
                with open(p, "wb") as f:
                    f.write(self._bytes)
                args = args + ["--state-in", p]
            return _run(args)

    def update(self, data: Any) -> "DescribeState":
        """Adds the records of a table, a batch or a file."""
        with _Source(data) as path:
            self._bytes = self._with_state(
                ["describe", path, "--state-out", "-"] + _describe_args(self._by, self._columns)
            )
        return self

    def merge(self, other: "DescribeState") -> "DescribeState":
        """Adds the records of another state (of the same columns and grouping)."""
        if other._bytes is None:
            return self
        if self._bytes is None:
            self._bytes = other._bytes
            return self
        with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
            p = os.path.join(d, "other.json")
            with open(p, "wb") as f:
                f.write(other._bytes)
            self._bytes = self._with_state(["describe", "--state-in", p, "--state-out", "-"])
        return self

    def finish(self) -> Describe:
        """The figures of every record added."""
        if self._bytes is None:
            raise UsageError("the state is empty: update it with records first")
        return Describe(json.loads(self._with_state(["describe", "--format", "json"])))

    def to_bytes(self) -> bytes:
        """The state as ``describe --state-out`` writes it."""
        if self._bytes is None:
            raise UsageError("the state is empty: update it with records first")
        return self._bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> "DescribeState":
        """A state written by :meth:`to_bytes` or ``describe --state-out`` (checked when used)."""
        state = cls()
        state._bytes = bytes(data)
        return state


# ---------------------------------------------------------------------------------------------
# Models


class Model:
    """A fitted detector or classifier, as the model file ``kddstat fit`` writes."""

    def __init__(self, data: bytes):
        self._bytes = bytes(data)
        self._doc = json.loads(self._bytes)

    @property
    def params(self) -> Dict[str, Any]:
        """Its parameters, as in the model file."""
        return dict(self._doc.get("parameters", {}))

    @property
    def kind(self) -> str:
        """``detector`` or ``classifier``."""
        return "classifier" if "classifier" in self._doc.get("format", "") else "detector"

    @property
    def threshold(self) -> Optional[float]:
        return self._doc.get("threshold")

    def to_bytes(self) -> bytes:
        return self._bytes

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the model file (the same bytes as ``kddstat fit -o``)."""
        with open(path, "wb") as f:
            f.write(self._bytes)

    def _score_rows(
        self, src: Any, threshold: Optional[float] = None, explain: int = 0
    ) -> List[Dict[str, str]]:
        with tempfile.TemporaryDirectory(prefix="kddstat-") as d, _Source(src) as path:
            m = os.path.join(d, "model.json")
            self.save(m)
            extra = ["--threshold", repr(float(threshold))] if threshold is not None else []
            if explain:
                extra += ["--explain", str(int(explain))]
            text = _run(["score", "--model", m, path, "-o", "-"] + extra).decode()
        return list(csv.DictReader(io.StringIO(text)))

    def score(self, src: Any):
        """The score of every record (a numpy array of floats; a list without numpy). For a
        classifier: the probability of an attack."""
        rows = self._score_rows(src)
        key = "score" if rows and "score" in rows[0] else "attack_probability"
        values = [float(r[key]) for r in rows]
        return _array(values, float)

    def flag(self, src: Any, threshold: Optional[float] = None):
        """Whether each record is flagged (the model's threshold, or ``threshold``)."""
        rows = self._score_rows(src, threshold)
        key = "anomalous" if rows and "anomalous" in rows[0] else "attack"
        return _array([r.get(key) in ("1", "true", "True") for r in rows], bool)

    def scores(self, src: Any, explain: int = 0) -> Table:
        """Every column ``kddstat score`` writes (line, label, category, score, flag, ...); with
        ``explain=N`` the reasons ``why_1`` .. ``why_N`` of ``kddstat score --explain N``
        (``feature=value (typical T, share S)``)."""
        return Table._from_rows(self._score_rows(src, explain=explain))

    def __repr__(self) -> str:
        label = self._doc.get("label") or self._doc.get("parameters", {}).get("detector") or self.kind
        training = self._doc.get("training", {})
        where = training.get("file", "?")
        return f"<kddstat.Model {self.kind} {label!s}, fitted on {where}>"


def _array(values: list, dtype: Any):
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        return values
    return np.asarray(values, dtype=dtype)


def load_model(path: Union[str, os.PathLike]) -> Model:
    """Reads a model file written by ``kddstat fit`` (or :meth:`Model.save`), checked."""
    _kddstat.check_model(os.fspath(path))
    with open(path, "rb") as f:
        return Model(f.read())


def fit(
    src: Any,
    detector: Optional[str] = "gmm",
    seed: int = 42,
    classifier: Optional[str] = None,
    target: Optional[str] = None,
    sample: Optional[int] = None,
    **params: Any,
) -> Model:
    """Fits a detector (``detector="gmm"``, ``k=8``, ``transform="quantile"``, ...) or, with
    ``classifier=``, a classifier (``target="binary"|"category"|"label"``), as ``kddstat fit``."""
    args = ["fit", "--seed", str(seed)]
    if classifier is not None:
        args += ["--classifier", classifier]
        if target is not None:
            args += ["--target", target]
    else:
        args += ["--detectors", detector or "gmm"]
    if sample is not None:
        args += ["--sample", str(sample)]
    args += _params(params)
    with tempfile.TemporaryDirectory(prefix="kddstat-") as d, _Source(src) as path:
        out = os.path.join(d, "model.json")
        _run(args + ["--train", path, "-o", out])
        with open(out, "rb") as f:
            return Model(f.read())


def tune(src: Any, detector: str = "gmm", seed: int = 42, **params: Any):
    """Chooses a detector's parameters on the training file alone (``kddstat tune``); returns the
    chosen model and the validation table (a dict)."""
    with tempfile.TemporaryDirectory(prefix="kddstat-") as d, _Source(src) as path:
        out = os.path.join(d, "model.json")
        table = _run_json(
            ["tune", "--train", path, "--detector", detector, "--seed", str(seed), "-o", out, "--format", "json"]
            + _params(params)
        )
        with open(out, "rb") as f:
            return Model(f.read()), table


def evaluate(
    train: Any,
    tests: Union[Any, Sequence[Any]],
    detectors: Optional[Sequence[str]] = None,
    classifiers: Optional[Sequence[str]] = None,
    hybrid: Optional[str] = None,
    far: Optional[float] = None,
    seed: Optional[int] = None,
    **params: Any,
) -> Dict[str, Any]:
    """Detectors and classifiers measured on test files: the ``evaluate --format json`` document
    (``detectors[i].tests[j]...``)."""
    if isinstance(tests, (str, os.PathLike)) or not isinstance(tests, (list, tuple)):
        tests = [tests]
    sources = [_Source(train)] + [_Source(t) for t in tests]
    try:
        args = ["evaluate", "--train", sources[0].path]
        for s in sources[1:]:
            args += ["--test", s.path]
        if detectors:
            args += ["--detectors", ",".join(detectors)]
        if classifiers:
            args += ["--classifiers", ",".join(classifiers)]
        if hybrid:
            args += ["--hybrid", hybrid]
        args += _params({"far": far, "seed": seed, **params})
        return _run_json(args + ["--format", "json"])
    finally:
        for s in sources:
            s.__exit__()


# ---------------------------------------------------------------------------------------------
# Reports and traffic


class Report:
    """A report folder written by ``kddstat report``; shows its findings in a notebook."""

    def __init__(self, path: str):
        self.path = path
        with open(os.path.join(path, "summary.json"), "rb") as f:
            self.summary = json.load(f)

    @property
    def index(self) -> str:
        return os.path.join(self.path, "index.html")

    @property
    def findings(self) -> List[Dict[str, Any]]:
        return list(self.summary.get("findings", []))

    def _repr_html_(self) -> str:
        import html

        items = "".join(
            f"<li>{html.escape(str(f.get('sentence') or f.get('text') or f))}</li>" for f in self.findings
        )
        link = html.escape(self.index)
        return f"<div><b>kddstat report</b> (<a href=\"{link}\">{link}</a>)<ul>{items}</ul></div>"

    def __repr__(self) -> str:
        return f"<kddstat.Report {self.index}: {len(self.findings)} findings>"


def report(
    train: Any = None,
    tests: Optional[Sequence[Any]] = None,
    output: Union[str, os.PathLike] = "reports/nsl-kdd",
    force: bool = False,
    detectors: Optional[Sequence[str]] = None,
    classifiers: Optional[Sequence[str]] = None,
    **params: Any,
) -> Report:
    """Writes the offline report folder (``kddstat report``) and returns it."""
    tests = list(tests or [])
    sources = ([_Source(train)] if train is not None else []) + [_Source(t) for t in tests]
    try:
        args = ["report", "-o", os.fspath(output)]
        if train is not None:
            args += ["--train", sources[0].path]
        for s in sources[1 if train is not None else 0:]:
            args += ["--test", s.path]
        if force:
            args.append("--force")
        if detectors is not None:
            args += ["--detectors", ",".join(detectors)] if detectors else ["--no-detectors"]
        if classifiers is not None:
            args += ["--classifiers", ",".join(classifiers)] if classifiers else ["--no-classifiers"]
        args += _params(params)
        _run(args)
    finally:
        for s in sources:
            s.__exit__()
    return Report(os.fspath(output))


class Capture:
    """The traffic summary of a capture or Zeek log (a dict) and its KDD records (a Table)."""

    def __init__(self, summary: Dict[str, Any], records: Table):
        self.summary = summary
        self.records = records

    def __repr__(self) -> str:
        return f"<kddstat.Capture {self.summary.get('file') or self.summary.get('path')}: {len(self.records)} records>"


def _traffic(command: str, path: Union[str, os.PathLike]) -> Capture:
    with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
        out = os.path.join(d, "records.csv")
        summary = _run_json([command, os.fspath(path), "-o", out, "--endpoints", "--format", "json"])
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f))
    return Capture(summary, Table._from_rows(rows))


def pcap(path: Union[str, os.PathLike]) -> Capture:
    """A packet capture (pcap, pcapng): its summary and connection records (``kddstat pcap``)."""
    return _traffic("pcap", path)


def zeek(path: Union[str, os.PathLike]) -> Capture:
    """A Zeek ``conn.log``: its summary and connection records (``kddstat zeek``)."""
    return _traffic("zeek", path)
