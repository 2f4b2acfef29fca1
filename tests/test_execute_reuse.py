"""Kernel reuse in trialkit.execute: a notebook run in a kernel that ran others before it
gives the same bytes as in a fresh kernel.

The slow tests run real kernels: the tiny I-MICRO folder (tests/fixtures/tiny) through a few
bundled notebooks, once with a fresh kernel per notebook and once with one kernel running them
in the opposite order; and two notebooks of two trials in one kernel, the first changing
everything :mod:`trialkit._kernel_state` restores, the second printing it.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest

from trialkit import execute, report
from trialkit.execute import _reset_code
from trialkit.resources import notebooks_dir

HERE = Path(__file__).parent
TINY = HERE / "fixtures" / "tiny"
# Figures (the inline PNGs), pingouin, seaborn, warnings shown by the notebooks, the pandas
# display options setup() sets, a bootstrap: what one notebook could leave to the next.
BUNDLED = ("01_population", "02_delta_sofa", "13_null_trial")


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "folder",
    [
        "/tmp/plain/imicro",
        "/tmp/it's \"quoted\"/imicro",
        "/tmp/x'); import os; os.system('echo owned'); ('/imicro",
        "/tmp/back\\slash\\'/new\nline/imicro",
        "/tmp/é ü 漢字 \U0001f600/imicro",
        "/tmp/not-utf8-\udcff/imicro",  # a file name's undecodable byte (surrogateescape)
    ],
)
def test_the_folder_reaches_the_kernel_as_one_string_literal(folder):
    code = _reset_code(Path(folder))
    assert code.isascii()
    (statement,) = ast.parse(code).body
    call = statement.value
    assert isinstance(call, ast.Call) and not call.keywords
    assert ast.unparse(call.func) == "__import__('trialkit._kernel_state')._kernel_state.reset"
    (argument,) = call.args
    assert isinstance(argument, ast.Constant) and argument.value == str(Path(folder).absolute())


def _notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    params = nbformat.v4.new_code_cell('trial = "imicro"\ndata_dir = None\nout_dir = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, path)


# Changes everything the reset restores; the warning comes from inside numpy (shown once per
# place under the default filter), so the reader's would be swallowed without the reset.
POLLUTE = [
    """\
import os, sys, warnings
import matplotlib, matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from trialkit.notebook import setup
%matplotlib inline
tk = setup(trial, data_dir, out_dir)
np.mean([])""",
    """\
leaked = 1
warnings.simplefilter("error", FutureWarning)
warnings.showwarning = lambda *a, **k: print("leaked showwarning")
pd.set_option("display.precision", 2)
matplotlib.rcParams["lines.linewidth"] = 7.0
plt.ioff()
plt.figure()  # not drawn while not interactive: left open
os.environ["TRIALKIT_LEAK"] = "1"
sys.path.append("/leaked")
os.chdir("/")""",
]
READ = [
    """\
import os, sys, warnings
from pathlib import Path
import matplotlib, matplotlib.pyplot as plt
import numpy as np
import pandas as pd
%matplotlib inline
np.mean([])""",
    """\
print("namespace:", "leaked" in dir(), "tk" in dir())
print("cwd:", Path.cwd().name, Path.cwd().parent.name.endswith(".staging"))
print("environment:", os.environ.get("TRIALKIT_LEAK"), "/leaked" in sys.path)
print("filters:", [f[0] for f in warnings.filters[:3]], warnings.showwarning.__module__,
      any(f[0] == "error" and f[2] is FutureWarning for f in warnings.filters))
print("pandas:", pd.get_option("display.precision"), pd.get_option("display.float_format"))
print("matplotlib:", matplotlib.rcParams["lines.linewidth"], plt.get_fignums(),
      matplotlib.is_interactive())
pd.DataFrame({"x": [1 / 3]})""",
    "plt.plot([0, 1], [1, 0]);",
]


@pytest.mark.slow
def test_a_reset_kernel_shows_nothing_of_the_notebook_or_trial_before(tmp_path):
    # Two trials (I-MICRO and a copy under another id) in one kernel: each trial's polluter,
    # then its reader; the readers must read as in a fresh kernel, in their own trial's folder.
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "a_pollute.ipynb", *POLLUTE)
    _notebook(notebooks / "b_read.ipynb", *READ)
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    copy = tmp_path / "copy.toml"
    spec_text = (Path(report.__file__).parent / "specs" / "imicro.toml").read_text()
    copy.write_text(spec_text.replace('id = "imicro"', 'id = "imicro_copy"', 1))
    runs = [*report._resolve_trials("imicro", data), *report._resolve_trials(str(copy), data)]
    found = report.find_notebooks(notebooks)

    outputs = {}
    for reuse in (False, True):
        stage = tmp_path / f"reuse_{reuse}" / ".out.staging"
        for run in runs:
            (stage / run.spec.id).mkdir(parents=True)
        todo = [report.Outcome(run, nb) for run in runs for nb in found]
        execute.execute_all(todo, stage, {}, 1, report.kernel_parameters, reuse_kernels=reuse)
        assert [o.error for o in todo] == [None] * 4
        outputs[reuse] = tree_digest(stage)
    assert outputs[True] == outputs[False]
    page = nbformat.read(tmp_path / "reuse_True/.out.staging/imicro_copy/b_read.ipynb", 4)
    printed = "".join(o.get("text", "") for o in page.cells[2].outputs)
    assert "namespace: False False" in printed and "cwd: imicro_copy True" in printed
    assert "environment: None False" in printed and "warnings False" in printed
    assert "pandas: 6 None" in printed and "matplotlib: 1.5 [] True" in printed
    assert "RuntimeWarning: Mean of empty slice" in "".join(
        o.get("text", "") for o in page.cells[1].outputs
    )


@pytest.mark.slow
def test_reused_kernels_give_the_bytes_of_fresh_ones_in_any_order(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in BUNDLED:
        shutil.copy(notebooks_dir() / f"{name}.ipynb", notebooks)
    data = tmp_path / "data" / "imicro"
    shutil.copytree(TINY, data)

    fresh, reused = tmp_path / "fresh", tmp_path / "reused"
    code = report.run_report(data_dir=data, out_dir=fresh, notebooks_dir=notebooks, jobs=2,
                             reuse_kernels=False)  # fmt: skip
    assert code in (0, 1)  # 1: endpoints that the notebooks left out analyse
    # One kernel runs them all, last notebook first: each runs after every other one.
    real = execute.execute_all
    monkeypatch.setattr(report, "execute_all",
                        lambda todo, *a, **k: real(todo[::-1], *a, **k))  # fmt: skip
    assert report.run_report(data_dir=data, out_dir=reused, notebooks_dir=notebooks,
                             jobs=1) == code  # fmt: skip

    for name in BUNDLED:
        page = nbformat.read(fresh / "imicro" / f"{name}.ipynb", 4)
        assert not [o for c in page.cells for o in c.get("outputs", [])
                    if o.output_type == "error"], name  # fmt: skip
    first, second = tree_digest(fresh), tree_digest(reused)
    assert [k for k in first if first[k] != second.get(k)] == []
    assert first == second
