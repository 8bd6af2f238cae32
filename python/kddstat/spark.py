"""kddstat on Apache Spark: the exact states of kddstat computed per partition on the executors
(Arrow batches in, state bytes out, through ``mapInArrow``) and merged on the driver by a tree
aggregation, so the figures equal the single-machine ones for the same rows, whatever the
partitioning and the order of the partitions.

- :func:`describe` (a DataFrame whose columns carry the NSL-KDD names, or paths read by kddstat
  itself on the executors, with its exact parsing and line-numbered errors);
- :func:`stats` (the same inputs): two jobs, as the CLI's ``--state-out``/``--first-pass`` do
  for parts: the first passes of the partitions merged, then each partition's second pass with
  that merged first pass (broadcast), the second passes merged;
- :func:`evaluate` (the same inputs, a detector model): each partition's scores counted per label
  (the CLI's ``evaluate --state-out``), the counts merged into the figures of the whole;
- :func:`score` adds ``score`` and ``flagged`` columns, batch by batch;
- :func:`fit` gathers a sample that does not depend on the partitioning (the rows whose seeded
  hash of their content is smallest; all rows, in the DataFrame's order, when there are no more
  than ``sample``) and fits on the driver.

Executors need the ``kddstat`` package in their Python environment (as they need pyarrow).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Union

import kddstat as _k

__all__ = ["NAMES", "describe", "stats", "evaluate", "score", "fit"]

#: The 43 NSL-KDD column names (41 features, label, difficulty), for ``df.toDF(*NAMES)``.
NAMES = [
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate", "label",
    "difficulty",
]


def _merge(a: Optional[bytes], b: Optional[bytes]) -> Optional[bytes]:
    if a is None:
        return b
    if b is None:
        return a
    return _k.DescribeState.from_bytes(a).merge(_k.DescribeState.from_bytes(b)).to_bytes()


def _raise_kddstat(e: Exception) -> None:
    """Re-raises a kddstat error an executor raised as the same exception on the driver."""
    text = str(e)
    m = re.search(r"kddstat\.(InputError|LimitError|ModelError|UsageError|KddstatError)[^:]*: (.+)", text)
    if m:
        raise getattr(_k, m.group(1))(m.group(2).strip()) from None
    raise e


def _fault_injection() -> None:
    """For the fault test: with the local property ``kddstat.test.fail_once`` set to a path, the
    first attempt of partition 0 writes that file and fails (Spark then retries it)."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    path = ctx.getLocalProperty("kddstat.test.fail_once") if ctx is not None else None
    if path and ctx.partitionId() == 0 and ctx.attemptNumber() == 0:
        open(path, "w").close()
        raise RuntimeError("kddstat: a failure injected by the fault test")


# Rows of a partition described at once on an executor: the partition's Arrow batches are
# gathered up to this many rows, described, and the states merged (exactly), so a Python worker's
# memory does not grow with its partition.
_ROWS_AT_ONCE = 65_536


def _per_partition(state_of_table: Any, merge: Any):
    """A ``mapInArrow`` function: a partition's rows taken :data:`_ROWS_AT_ONCE` at a time, each
    chunk's state made by ``state_of_table`` (a pyarrow Table to state bytes) and the chunks'
    states merged by ``merge``; yields one row holding the partition's state."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        _fault_injection()
        state: Optional[bytes] = None
        pending: List[Any] = []
        rows = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            rows += batch.num_rows
            if rows >= _ROWS_AT_ONCE:
                state = merge(state, state_of_table(pa.Table.from_batches(pending)))
                pending, rows = [], 0
        if pending:
            state = merge(state, state_of_table(pa.Table.from_batches(pending)))
        if state is not None:
            yield pa.RecordBatch.from_pydict({"state": [state]})

    return run


def _states_of_batches(by: Optional[str], columns: Optional[Sequence[str]]):
    return _per_partition(
        lambda table: _k.DescribeState(by=by, columns=columns).update(table).to_bytes(), _merge
    )


def _inputs(paths_or_df: Any, spark: Any):
    """(the paths, or None for a DataFrame; the Spark session; the name the result shows)."""
    if not isinstance(paths_or_df, (str, list, tuple)):
        return None, spark, "<DataFrame>"
    paths = [paths_or_df] if isinstance(paths_or_df, str) else list(paths_or_df)
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
    shown = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
    return paths, spark, shown


def _reduce(
    paths: Optional[List[str]],
    df: Any,
    spark: Any,
    of_path: Any,
    of_partition: Any,
    merge: Any,
    depth: int,
) -> bytes:
    """One job: the state of each file (``of_path``, a task a file) or of each partition of
    ``df`` (``of_partition``, a ``mapInArrow`` function), merged by ``treeReduce``. A kddstat
    error on an executor is raised again on the driver as itself."""
    try:
        if paths is not None:
            rdd = spark.sparkContext.parallelize(paths, len(paths)).map(of_path)
        else:
            states = df.mapInArrow(of_partition, "state binary")
            rdd = states.rdd.map(lambda row: bytes(row.state))
        merged = rdd.treeReduce(merge, depth=depth) if not rdd.isEmpty() else None
    except Exception as e:  # a kddstat error on an executor: the same on the driver
        if type(e).__module__.startswith("kddstat"):
            raise
        _raise_kddstat(e)
        raise
    if merged is None:
        raise _k.InputError("no rows: the DataFrame or files hold no record")
    return merged


def describe(
    paths_or_df: Union[str, Sequence[str], Any],
    by: Optional[str] = None,
    columns: Optional[Sequence[str]] = None,
    spark: Any = None,
    depth: int = 2,
) -> "_k.Describe":
    """The figures of ``kddstat describe`` of a DataFrame (its partitions' states merged) or of
    files read by kddstat on the executors (one task a file). Equal to the single-machine figures
    of the same rows."""
    paths, spark, shown = _inputs(paths_or_df, spark)
    merged = _reduce(
        paths,
        paths_or_df,
        spark,
        lambda p: _k.DescribeState(by=by, columns=columns).update(p).to_bytes(),
        _states_of_batches(by, columns),
        _merge,
        depth,
    )
    doc = _k.DescribeState.from_bytes(merged).finish().to_dict()
    doc["files"][0]["path"] = shown
    return _k.Describe(doc)


def _stats_state(args: List[str], first: Optional[bytes]) -> bytes:
    """Runs ``kddstat stats ARGS --state-out - --state-only -q`` (with the first pass ``first``
    when given) and returns the state it writes."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
        if first is not None:
            path = os.path.join(d, "first.json")
            with open(path, "wb") as f:
                f.write(first)
            args = args + ["--first-pass", path]
        return _k._run(["stats"] + args + ["--state-out", "-", "--state-only", "-q"])


def _merging(state_of_args: Any):
    """Merges two states by running ``state_of_args(["--state-in", A, "--state-in", B])`` (a
    kddstat command that writes the merged state); ``None`` is the empty state."""

    def merge(a: Optional[bytes], b: Optional[bytes]) -> Optional[bytes]:
        import os
        import tempfile

        if a is None:
            return b
        if b is None:
            return a
        with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
            args: List[str] = []
            for name, data in (("a.json", a), ("b.json", b)):
                args += ["--state-in", os.path.join(d, name)]
                with open(args[-1], "wb") as f:
                    f.write(data)
            return state_of_args(args)

    return merge


def _stats_merge(first: Optional[bytes]):
    """Merges two stats states (first passes, or second passes made with ``first``)."""
    return _merging(lambda args: _stats_state(args, first))


def _stats_of_batches(by: Optional[str], first: Optional[bytes]):
    """A partition's stats state: a first pass, or a second with ``first``."""
    extra = ["--by", by] if (by and first is None) else []

    def state_of_table(table: Any) -> bytes:
        with _k._Source(table) as path:
            return _stats_state([path] + extra, first)

    return _per_partition(state_of_table, _stats_merge(first))


def stats(
    paths_or_df: Union[str, Sequence[str], Any],
    by: Optional[str] = None,
    min_r: Optional[float] = None,
    spark: Any = None,
    depth: int = 2,
) -> Dict[str, Any]:
    """The figures of ``kddstat stats --format json`` of a DataFrame or of files read by kddstat
    on the executors, equal to the single-machine ones for the same rows: two jobs (first passes,
    then second passes with the merged first pass), each tree-aggregated."""
    import os
    import tempfile

    paths, spark, shown = _inputs(paths_or_df, spark)

    def job(first: Optional[bytes]) -> bytes:
        extra = ["--by", by] if (by and first is None) else []
        return _reduce(
            paths,
            paths_or_df,
            spark,
            lambda p: _stats_state([p] + extra, first),
            _stats_of_batches(by, first),
            _stats_merge(first),
            depth,
        )

    first = job(None)
    second = job(first)
    with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
        f, s = os.path.join(d, "first.json"), os.path.join(d, "second.json")
        with open(f, "wb") as out:
            out.write(first)
        with open(s, "wb") as out:
            out.write(second)
        args = ["stats", "--first-pass", f, "--state-in", s, "--format", "json"]
        if min_r is not None:
            args += ["--min-r", str(min_r)]
        doc = _k._run_json(args)
    doc["path"] = shown
    return doc


def _evaluate_state(model: bytes, args: List[str]) -> bytes:
    """Runs ``kddstat evaluate --model MODEL ARGS --state-out - --state-only -q``."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
        path = os.path.join(d, "model.json")
        with open(path, "wb") as f:
            f.write(model)
        return _k._run(["evaluate", "--model", path] + args + ["--state-out", "-", "--state-only", "-q"])


def _evaluate_merge(model: bytes):
    """Merges two evaluate states of ``model``."""
    return _merging(lambda args: _evaluate_state(model, args))


def _evaluate_batches(model: bytes):
    """A partition's counted scores."""

    def state_of_table(table: Any) -> bytes:
        with _k._Source(table) as path:
            return _evaluate_state(model, ["--test", path])

    return _per_partition(state_of_table, _evaluate_merge(model))


def evaluate(
    paths_or_df: Union[str, Sequence[str], Any],
    model: Union["_k.Model", str],
    spark: Any = None,
    depth: int = 2,
) -> Dict[str, Any]:
    """The ``evaluate --model MODEL --test TEST --format json`` document of a detector model on a
    DataFrame or on files read by kddstat on the executors: each partition's scores counted per
    label and merged, equal to the single-machine figures of the same rows."""
    import os
    import tempfile

    if isinstance(model, str):
        model = _k.load_model(model)
    data = model.to_bytes()
    paths, spark, shown = _inputs(paths_or_df, spark)
    merged = _reduce(
        paths,
        paths_or_df,
        spark,
        lambda p: _evaluate_state(data, ["--test", p]),
        _evaluate_batches(data),
        _evaluate_merge(data),
        depth,
    )
    with tempfile.TemporaryDirectory(prefix="kddstat-") as d:
        m, s = os.path.join(d, "model.json"), os.path.join(d, "state.json")
        for path, content in ((m, data), (s, merged)):
            with open(path, "wb") as out:
                out.write(content)
        doc = _k._run_json(["evaluate", "--model", m, "--state-in", s, "--format", "json"])
    for det in doc["detectors"]:
        for t in det["tests"]:
            t["file"] = shown
    return doc


def score(df: Any, model: Union["_k.Model", str], explain: int = 0) -> Any:
    """The DataFrame with a ``score`` (double) and a ``flagged`` (boolean) column, computed batch
    by batch on the executors with the model's own threshold; with ``explain=N``, string columns
    ``why_1`` .. ``why_N``: the features behind each score, as ``kddstat score --explain N``
    writes them."""
    explain = int(explain)
    if explain < 0 or explain > 41:
        raise _k.UsageError(f"explain={explain}: between 0 and 41 reasons")
    if isinstance(model, str):
        model = _k.load_model(model)
    data = model.to_bytes()
    names = [f.name for f in df.schema.fields]

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        m = _k.Model(data)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            rows = m._score_rows(table, explain=explain)
            key = "score" if rows and "score" in rows[0] else "attack_probability"
            flag = "anomalous" if rows and "anomalous" in rows[0] else "attack"
            scores = pa.array([float(r[key]) for r in rows], pa.float64())
            flagged = pa.array([r.get(flag) in ("1", "true") for r in rows], pa.bool_())
            why = [pa.array([r.get(w, "") for r in rows], pa.string()) for w in whys]
            yield pa.RecordBatch.from_arrays(
                list(batch.columns) + [scores, flagged] + why,
                names=names + ["score", "flagged"] + whys,
            )

    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField, StructType

    whys = [f"why_{i}" for i in range(1, explain + 1)]
    schema = StructType(
        list(df.schema.fields)
        + [StructField("score", DoubleType()), StructField("flagged", BooleanType())]
        + [StructField(w, StringType()) for w in whys]
    )
    return df.mapInArrow(run, schema)


def _row_key(seed: int, values: Iterable[Any]) -> bytes:
    h = hashlib.blake2b(digest_size=8, key=seed.to_bytes(8, "little"))
    for v in values:
        h.update(repr(v).encode())
        h.update(b"\x1f")
    return h.digest()


def fit(
    df: Any,
    detector: Optional[str] = "gmm",
    classifier: Optional[str] = None,
    sample: int = 200_000,
    seed: int = 42,
    **params: Any,
) -> "_k.Model":
    """Fits on a sample gathered to the driver. With no more rows than ``sample``, every row in
    the DataFrame's order (partition by partition), so the model is the CLI's ``fit`` of the same
    rows; past it, the ``sample`` rows whose seeded hash of their content is smallest (the same
    rows whatever the partitioning)."""
    import pyarrow as pa

    total = df.count()
    if total <= sample:
        table = pa.Table.from_batches(df._collect_as_arrow()) if hasattr(df, "_collect_as_arrow") else pa.table(df.toPandas())
    else:
        keyed = df.rdd.map(lambda r: (_row_key(seed, r), r))
        chosen = keyed.takeOrdered(sample, key=lambda kv: kv[0])
        rows = [r.asDict() for _, r in chosen]
        table = pa.Table.from_pylist(rows)
    return _k.fit(table, detector=detector, classifier=classifier, seed=seed, **params)
