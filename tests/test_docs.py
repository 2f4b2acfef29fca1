"""The documentation site builds offline with warnings as errors and holds what it should.

One build (``make docs``'s command, into a temporary folder) checked page by page: the
tutorial, a notebook rendered from its committed outputs with its figure, an estimator's
documentation with its formula as MathML, the codebook generated from the column
declarations, and no page that loads anything from a network.
"""

from __future__ import annotations

import html as html_lib
import re
import subprocess
import sys
from pathlib import Path

import pytest

for _module in ("sphinx", "myst_nb", "numpydoc", "furo"):
    pytest.importorskip(_module, reason="the docs extra is not installed (pip install -e .[docs])")

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
           "-d", str(out / "doctrees"), str(ROOT / "docs"), str(out / "html")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    assert done.returncode == 0, f"sphinx-build failed:\n{done.stderr[-5000:]}"
    return out / "html"


def _page(site: Path, name: str) -> str:
    path = site / name
    assert path.is_file(), f"{name} was not built"
    return path.read_text(encoding="utf-8")


def _text(site: Path, name: str) -> str:
    """A page's text as a reader sees it (highlighted code is split into spans)."""
    return html_lib.unescape(re.sub(r"<[^>]+>", "", _page(site, name)))


def test_the_tutorial_walks_through_init_simulate_validate_report(site: Path) -> None:
    html = _text(site, "tutorial.html")
    assert "Your own trial in ten minutes" in html
    for command in ("trialkit init mytrial", "trialkit validate mytrial/data",
                    "trialkit report --trial mytrial/spec.toml"):  # fmt: skip
        assert command in html
    assert "trialkit simulate --trial mytrial/spec.toml --out mytrial/data --force" in html
    for key in ("[populations]", "[endpoints.<id>]", "[[assumptions]]", "[[commentary]]"):
        assert key in html
    # the outputs pasted from a real run, not made up: the starter's message
    assert "trialkit init: wrote a starter for your trial in mytrial" in html


def test_a_notebook_is_rendered_from_its_committed_outputs_with_its_figure(site: Path) -> None:
    html = _page(site, "notebooks/02_delta_sofa.html")
    assert "The change in SOFA" in html
    # a printed output of the committed run, and the figure the run drew
    assert "died before day" in html
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
    assert images, "no figure on the rendered notebook"
    assert all((site / "notebooks" / src).resolve().is_file() for src in images)


def test_hodges_lehmann_is_documented_with_its_formula_and_references(site: Path) -> None:
    html = _page(site, "estimands/rank.html")
    start = html.index('id="trialkit.stats.hodges_lehmann"')
    entry = html[start : html.index('id="trialkit.stats.van_elteren"')]
    assert "<math" in entry and "median" in entry  # \operatorname{median}_{i,j}(x_i - y_j)
    assert "Hodges JL, Lehmann EL (1963)" in entry
    assert "wilcox.test" in entry
    # the package's API page lists it and links there
    api = _page(site, "api/generated/trialkit.stats.html")
    assert "estimands/rank.html#trialkit.stats.hodges_lehmann" in api


def test_the_codebook_is_generated_from_the_column_declarations(site: Path) -> None:
    from trialkit.schema import DAILY

    html = _text(site, "data-contract.html")
    fio2 = next(d for d in DAILY if d.name == "fio2")
    assert "fio2" in html
    assert fio2.meaning.split(" (")[0] in html
    assert "patients.csv — one row per randomized patient" in html


def test_no_page_loads_anything_from_a_network(site: Path) -> None:
    remote = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', re.IGNORECASE)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not remote.search(text), f"{page.relative_to(site)} loads a remote resource"
        scripts = re.findall(r"<script[^>]*>", text)
        assert not [s for s in scripts if "mathjax" in s.lower()], f"{page.name} loads MathJax"


# -- the tutorial's outputs are those of a real run ---------------------------------------------
_EDITS = (  # the edits the tutorial makes to the starter spec, as it shows them
    ('experimental = "experimental"', 'experimental = "drug"'),
    ('control = "control"', 'control = "placebo"'),
    ('title = ""', 'title = "Drug X in septic shock"'),
    ('days = "icu"', 'days = "icu"\nanalysis = "adjusted_mean_difference"\n'
                     'covariates = ["baseline_sofa_total"]\nfactors = ["site"]'),
    ("# [design]\n# planned_n = 200\n# relative_reduction = 0.2",
     "[design]\nplanned_n = 200\nrelative_reduction = 0.2"),
)  # fmt: skip


def _trialkit(*args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "trialkit", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    return done.stdout + done.stderr


def test_the_tutorial_shows_what_the_commands_print(site: Path, tmp_path: Path) -> None:
    page = _text(site, "tutorial.html")
    printed = [_trialkit("init", "mytrial", "--name", "MY-TRIAL", cwd=tmp_path)]
    spec = tmp_path / "mytrial" / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    for old, new in _EDITS:
        assert old in text, f"the starter spec no longer has {old!r}: update the tutorial"
        text = text.replace(old, new, 1)
    spec.write_text(text, encoding="utf-8")
    validate = ("validate", "mytrial/data", "--trial", "mytrial/spec.toml")
    printed.append(_trialkit(*validate, cwd=tmp_path))  # header-only files
    printed.append(_trialkit("simulate", "--trial", "mytrial/spec.toml", "--out",
                             "mytrial/data", "--force", cwd=tmp_path))  # fmt: skip
    printed.append(_trialkit(*validate, cwd=tmp_path))
    for output in printed:
        for line in output.strip().splitlines():
            assert line in page, f"the tutorial does not show this line of output: {line!r}"
