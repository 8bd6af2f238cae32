"""The README's Python example runs and prints what the README shows (doctest)."""

import doctest
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_the_readme_example_prints_what_it_shows(tmp_path, monkeypatch):
    data = os.environ.get("KDDSTAT_DATA")
    if not data:
        pytest.fail("set KDDSTAT_DATA to the NSL-KDD folder")
    text = open(os.path.join(ROOT, "README.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has no python example"
    os.symlink(os.path.abspath(data), tmp_path / "datasets")
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(blocks[0], {}, "README.md", "README.md", 0)
    assert len(test.examples) >= 5
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of the README's Python examples differ"
