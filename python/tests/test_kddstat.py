"""The Python package against the CLI, on the real NSL-KDD files ($KDDSTAT_DATA) and inputs the
tests write themselves. The CLI is $KDDSTAT_BIN (the binary `cargo test` built)."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings

import pytest

import kddstat

DATA = os.environ.get("KDDSTAT_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "datasets"))
BIN = os.environ.get("KDDSTAT_BIN") or shutil.which("kddstat")
TRAIN = os.path.join(DATA, "KDDTrain+.txt")
TEST = os.path.join(DATA, "KDDTest+.txt")
PCAPS = os.environ.get("KDDSTAT_PCAPS", os.path.join(DATA, "..", "..", "pcaps"))


def need(path):
    if not os.path.exists(path):
        if os.environ.get("CI") or not os.environ.get("KDDSTAT_ALLOW_SKIP"):
            pytest.fail(f"{path} is missing: set KDDSTAT_DATA to the NSL-KDD folder")
        pytest.skip(f"{path} is missing")


def cli(*args, check=True):
    if not BIN:
        pytest.fail("set KDDSTAT_BIN to the kddstat binary (cargo build)")
    out = subprocess.run([BIN, *map(str, args)], capture_output=True)
    if check:
        assert out.returncode == 0, out.stderr.decode()
    return out


def test_describe_equals_the_cli_json():
    need(TRAIN)
    for by in [None, "category"]:
        extra = ["--by", by] if by else []
        want = json.loads(cli("describe", TRAIN, "--format", "json", *extra).stdout)
        got = kddstat.describe(TRAIN, by=by)
        assert got.to_dict() == want
    d = kddstat.describe(TEST)
    numeric = d.numeric.to_dict()
    assert "src_bytes" in numeric["column"]
    cat = d.categorical.to_dict()
    assert "tcp" in cat["value"]


def test_tables_round_trip_with_their_types():
    need(TEST)
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    t = kddstat.read(TEST)
    assert len(t) == 22544
    df = t.to_polars()
    assert df.schema["src_bytes"] == pl.Int64
    assert df.schema["serror_rate"] == pl.Float64
    assert df.schema["protocol_type"] == pl.String
    assert str(t.to_pandas()["src_bytes"].dtype) == "int64"
    assert pa.table(t).num_rows == 22544
    assert pl.DataFrame(t.to_arrow()).shape == df.shape
    # A DataFrame in gives the file's figures.
    from_df = kddstat.describe(df).to_dict()["files"][0]
    from_file = kddstat.describe(TEST).to_dict()["files"][0]
    assert from_df["numeric"] == from_file["numeric"]
    assert from_df["categorical"]["service"] == from_file["categorical"]["service"]
    assert kddstat.describe(df.to_pandas()).to_dict()["files"][0]["numeric"] == from_file["numeric"]


def test_bad_input_raises_the_cli_message(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("0,tcp,http,SF,abc" + ",0" * 38 + ",normal,21\n")
    err = cli("describe", bad, check=False).stderr.decode().strip()
    with pytest.raises(kddstat.InputError) as e:
        kddstat.describe(str(bad))
    assert "kddstat: error: " + str(e.value) == err
    with pytest.raises(kddstat.UsageError):
        kddstat.describe(str(bad), by="nonsense")
    with pytest.raises(kddstat.KddstatError):
        kddstat.load_model(str(bad))
    assert issubclass(kddstat.LimitError, kddstat.InputError)


def test_warnings_go_through_python(tmp_path):
    f = tmp_path / "u.txt"
    f.write_text("0,tcp,http,SF,1,2" + ",0" * 35 + ",zeroday,21\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kddstat.describe(str(f))
    assert any("zeroday" in str(w.message) for w in caught)


def test_the_gil_is_released(tmp_path):
    need(TRAIN)
    big = tmp_path / "big.txt"
    with open(big, "wb") as out, open(TRAIN, "rb") as src:
        data = src.read()
        for _ in range(8):
            out.write(data)
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = len(ticks)
    kddstat.describe(str(big))
    during = len(ticks) - start
    stop.set()
    t.join()
    assert during > 10, f"the other thread ran {during} times"


def test_models_are_the_cli_models(tmp_path):
    need(TRAIN)
    need(TEST)
    m = kddstat.fit(TRAIN, detector="zscore", seed=7)
    py_model = tmp_path / "py.json"
    m.save(py_model)
    cli_model = tmp_path / "cli.json"
    cli("fit", "--train", TRAIN, "--detectors", "zscore", "--seed", "7", "-o", cli_model, "-q")
    assert py_model.read_bytes() == cli_model.read_bytes()
    a = cli("score", "--model", py_model, TEST, "-o", "-").stdout
    b = cli("score", "--model", cli_model, TEST, "-o", "-").stdout
    assert a == b
    scores = m.score(TEST)
    assert len(scores) == 22544
    flagged = m.flag(TEST)
    assert flagged.sum() > 0
    again = kddstat.load_model(py_model)
    assert again.params == m.params and "zscore" in repr(again)
    # The reasons: the CLI's `score --explain 3` columns.
    why = m.scores(TEST, explain=3).to_pandas()
    cli_why = cli("score", "--model", py_model, TEST, "--explain", "3", "-o", "-").stdout.decode()
    first = cli_why.splitlines()[1]
    assert list(why.columns)[-3:] == ["why_1", "why_2", "why_3"]
    assert str(why["why_1"][0]) in first
    # Scoring a DataFrame gives the file's scores.
    pl = pytest.importorskip("polars")
    assert list(m.score(pl.read_parquet(__import__("io").BytesIO(kddstat.read(TEST)._parquet())))) == list(scores)
    gmm = kddstat.fit(TRAIN, detector="gmm", components=2, seed=3)
    assert gmm.params["components"] == 2
    tree = kddstat.fit(TRAIN, classifier="tree", target="binary")
    assert tree.kind == "classifier" and len(tree.score(TEST)) == 22544


def test_evaluate_equals_the_cli_json():
    need(TRAIN)
    need(TEST)
    want = json.loads(
        cli("evaluate", "--train", TRAIN, "--test", TEST, "--detectors", "zscore", "--format", "json", "-q").stdout
    )
    got = kddstat.evaluate(TRAIN, [TEST], detectors=["zscore"])
    assert got == want
    assert got["detectors"][0]["tests"][0]["roc_auc"]["overall"] > 0.5


def test_describe_states_merge_to_the_whole(tmp_path):
    need(TEST)
    lines = open(TEST, "rb").read().splitlines(keepends=True)
    parts = []
    for i in range(3):
        p = tmp_path / f"part{i}.txt"
        p.write_bytes(b"".join(lines[i::3]))
        parts.append(p)
    state = kddstat.DescribeState()
    for p in parts[:2]:
        state.update(str(p))
    other = kddstat.DescribeState().update(str(parts[2]))
    state.merge(other)
    again = kddstat.DescribeState.from_bytes(state.to_bytes())
    merged = again.finish().to_dict()["files"][0]
    whole = kddstat.describe(TEST).to_dict()["files"][0]
    for key in ["rows", "numeric", "categorical"]:
        assert merged[key] == whole[key]
    # The bytes are the CLI's state: the CLI reads them.
    s = tmp_path / "s.json"
    s.write_bytes(state.to_bytes())
    assert json.loads(cli("describe", "--state-in", s, "--format", "json").stdout)["files"][0]["rows"] == 22544


def test_stats_compare_clean():
    need(TRAIN)
    need(TEST)
    s = kddstat.stats(TEST)
    assert s["rows"] == 22544
    c = kddstat.compare(TRAIN, TEST)
    assert c == json.loads(cli("compare", "--train", TRAIN, "--test", TEST, "--format", "json", "-q").stdout)
    cleaned = kddstat.clean(TEST, drop_duplicates=True)
    assert len(cleaned["table"]) > 0


def test_report_shows_its_findings(tmp_path):
    need(TRAIN)
    out = tmp_path / "rep"
    r = kddstat.report(TRAIN, [TEST], output=str(out), detectors=[], classifiers=[])
    html = r._repr_html_()
    assert "index.html" in html and "<li>" in html
    assert os.path.exists(r.index)


def test_traffic_sources(tmp_path):
    cap = os.path.join(PCAPS, "zeek-wikipedia.pcap")
    need(cap)
    c = kddstat.pcap(cap)
    assert len(c.records) == 34
    log = tmp_path / "conn.log"
    log.write_text(
        "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n"
        "1.0\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\tSF\n"
    )
    z = kddstat.zeek(str(log))
    assert z.summary["records"] == 1


def test_no_output_on_stdout(capfd):
    need(TEST)
    kddstat.describe(TEST)
    out, _ = capfd.readouterr()
    assert out == ""
