"""benchmarks/_readme.py and benchmarks/run_all.py: the README's speed table, no benchmark run.

The rows' parsing, formatting and order, the rewrite between the marker lines of a temporary
README (the rest byte-identical), the errors on missing markers and missing rows, and that a
partial or failed run leaves the file alone. The "benchmarks" run_all starts here are stand-in
scripts in a temporary folder that print README-ROW lines and nothing else.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "benchmarks"


def _load(name: str):
    # The benchmarks folder is not a package: load its modules by path (run_all imports
    # _readme by name, so _readme is registered first).
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_readme = _load("_readme")
run_all = _load("run_all")

BEFORE = "# trialkit\n\nSome text.\n\n## Speed\n\n"
AFTER = "\nText under the table, kept as it is.\n\n## Next\n"
OLD = "An old intro.\n\n| task | size | trialkit | reference |\n|---|---|---|---|\n| x | — |\n"


def readme(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "README.md"
    if text is None:
        text = f"{BEFORE}{_readme.BEGIN}\n{OLD}{_readme.END}\n{AFTER}"
    path.write_bytes(text.encode())
    return path


def line(key: str, trialkit: str = "1.0 s") -> str:
    fields = {"key": key, "task": f"task {key}", "size": "10^6", "trialkit": trialkit,
              "reference": "—"}  # fmt: skip
    return _readme.PREFIX + json.dumps(fields, ensure_ascii=False)


def script(folder: Path, name: str, keys: list[str], status: int = 0) -> None:
    """A stand-in benchmark: prints a table line, the README rows of ``keys``, exits."""
    lines = ["some table", *(line(k) for k in keys)]
    body = "".join(f"print({s!r})\n" for s in lines) + f"raise SystemExit({status})\n"
    (folder / f"{name}.py").write_text(body, encoding="utf-8")


def test_row_prints_one_line_that_parses_back(capsys):
    got = _readme.row("20-endpoints", "SOFA | endpoints", "10^6 rows", "0.38 s CPU", "naive")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith(_readme.PREFIX)
    assert _readme.parse_rows("a table\n" + out + "more\n") == [got]
    # A "|" in a cell is escaped, so that it cannot shift the columns.
    assert got.markdown() == r"| SOFA \| endpoints | 10^6 rows | 0.38 s CPU | naive |"


def test_unknown_key_and_malformed_line_are_refused():
    with pytest.raises(_readme.ReadmeError, match="unknown README row key"):
        _readme.row("99-typo", "t", "s", "x")
    with pytest.raises(_readme.ReadmeError, match="malformed"):
        _readme.parse_rows(_readme.PREFIX + '{"key": "20-endpoints"}')
    with pytest.raises(_readme.ReadmeError, match="malformed"):
        _readme.parse_rows(_readme.PREFIX + "not json")


def test_numbers_as_the_readme_writes_them():
    s = _readme.seconds
    assert [s(0.0712), s(0.38), s(2.94), s(9.96), s(43.7), s(339.4), s(1234.5)] == [
        "0.071", "0.38", "2.9", "10", "44", "339", "1,234",
    ]  # fmt: skip
    assert s(0.0000123) == "0.000012" and s(0) == "0" and s(float("nan")) == "n/a"
    assert _readme.ratio(339, 0.38) == "(892×)"
    assert _readme.ratio(0.61, 0.49) == "(1.24×)"
    assert _readme.ratio(1, 0) == "(n/a)"
    assert _readme.multiple(0.1612) == "0.16×"
    assert _readme.size(975_100, "patient-days") == "10^6 patient-days"
    assert _readme.size(380_000, "patients") == "380,000 patients"
    assert _readme.scaling([1e5, 1e6, 1e7], [0.04, 0.4, 4.0], "rows") == (
        "time ~ rows^1.00 (10^5 → 10^7)"
    )
    assert _readme.scaling([1e6], [1.0]) == ""
    assert _readme.scaling([1e5, 1e6], [0.0, 1.0]) == ""


def test_table_is_sorted_by_key_whatever_the_order_reported():
    keys = list(_readme.ROWS)
    rows = _readme.parse_rows("\n".join(line(k) for k in reversed(keys)))
    body = _readme.table(rows).splitlines()
    assert body[:2] == ["| task | size | trialkit | reference |", "|---|---|---|---|"]
    assert [r.split(" | ")[0].removeprefix("| task ") for r in body[2:]] == keys


def test_rewrite_changes_only_what_lies_between_the_markers(tmp_path):
    path = readme(tmp_path)
    path.chmod(0o644)
    _readme.rewrite(path, "NEW\n")
    assert path.read_bytes() == f"{BEFORE}{_readme.BEGIN}\nNEW\n{_readme.END}\n{AFTER}".encode()
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left


def test_rewrite_keeps_windows_line_endings(tmp_path):
    text = f"{BEFORE}{_readme.BEGIN}\n{OLD}{_readme.END}\n{AFTER}".replace("\n", "\r\n")
    path = readme(tmp_path, text)
    _readme.rewrite(path, "A\n\nB\n")
    want = f"{BEFORE}{_readme.BEGIN}\nA\n\nB\n{_readme.END}\n{AFTER}".replace("\n", "\r\n")
    assert path.read_bytes() == want.encode()


@pytest.mark.parametrize(
    "text",
    [
        f"{BEFORE}{_readme.BEGIN}\n{OLD}{AFTER}",  # no end
        f"{BEFORE}{OLD}{_readme.END}\n{AFTER}",  # no begin
        f"{BEFORE}{_readme.END}\n{OLD}{_readme.BEGIN}\n{AFTER}",  # the wrong way round
        f"{_readme.BEGIN}\n{_readme.BEGIN}\n{OLD}{_readme.END}\n",  # twice
    ],
)
def test_missing_or_misplaced_markers_are_an_error(tmp_path, text):
    path = readme(tmp_path, text)
    with pytest.raises(_readme.ReadmeError, match="marker"):
        _readme.rewrite(path, "NEW\n")
    assert path.read_bytes() == text.encode()


def test_full_run_rewrites_the_table_sorted(tmp_path, capsys):
    keys = list(_readme.ROWS)
    script(tmp_path, "bench_b", keys[::2][::-1])
    script(tmp_path, "bench_a", keys[1::2])
    script(tmp_path, "bench_c", [])  # a benchmark without a README row
    path = readme(tmp_path)
    assert run_all.main(["--readme", str(path)], here=tmp_path) == 0
    text = path.read_text(encoding="utf-8")
    head, tail = BEFORE + _readme.BEGIN + "\n", _readme.END + "\n" + AFTER
    assert text.startswith(head) and text.endswith(tail)
    inside = text[len(head) : -len(tail)]
    intro, table = inside.split("\n\n")
    assert "some table" in capsys.readouterr().out  # the scripts' output was echoed
    assert f"{os.cpu_count()} cores" in " ".join(intro.split())
    assert "same run" in intro and "load average" in intro
    assert [r.split(" | ")[0] for r in table.splitlines()[2:]] == [f"| task {k}" for k in keys]


def test_full_run_with_a_missing_row_leaves_the_readme(tmp_path, capsys):
    keys = list(_readme.ROWS)
    script(tmp_path, "bench_a", keys[1:])
    path = readme(tmp_path)
    before = path.read_bytes()
    assert run_all.main(["--readme", str(path)], here=tmp_path) == 1
    assert path.read_bytes() == before
    assert f"row {keys[0]!r} not reported (by {_readme.ROWS[keys[0]]})" in capsys.readouterr().err


def test_failed_or_repeating_script_leaves_the_readme(tmp_path, capsys):
    keys = list(_readme.ROWS)
    script(tmp_path, "bench_a", keys, status=1)
    path = readme(tmp_path)
    before = path.read_bytes()
    assert run_all.main(["--readme", str(path)], here=tmp_path) == 1
    assert "failed: bench_a.py" in capsys.readouterr().err
    script(tmp_path, "bench_a", keys)
    script(tmp_path, "bench_b", keys[:1])
    assert run_all.main(["--readme", str(path)], here=tmp_path) == 1
    assert "reported 2 times" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_partial_run_prints_the_rows_and_leaves_the_readme(tmp_path, capsys):
    keys = list(_readme.ROWS)
    script(tmp_path, "bench_a", keys[:1])
    script(tmp_path, "bench_b", keys[1:])
    path = readme(tmp_path)
    before = path.read_bytes()
    assert run_all.main(["bench_a", "--readme", str(path)], here=tmp_path) == 0
    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert f"| task {keys[0]} |" in out and f"| task {keys[1]} |" not in out
    # --no-readme: a full run that prints only.
    assert run_all.main(["--no-readme"], here=tmp_path) == 0
    assert path.read_bytes() == before


def test_full_run_refuses_a_readme_without_markers_before_running(tmp_path, capsys):
    ran = tmp_path / "ran"
    (tmp_path / "bench_a.py").write_text(f"open({str(ran)!r}, 'w').close()\n", encoding="utf-8")
    path = readme(tmp_path, "# no markers here\n")
    assert run_all.main(["--readme", str(path)], here=tmp_path) == 2
    assert "marker" in capsys.readouterr().err
    assert not ran.exists()
