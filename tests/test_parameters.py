"""trialkit.parameters: -p KEY=VALUE is checked against what the notebooks declare, never run.

One test per rule of the issue: the key is a Python identifier, declared by a notebook that
runs, not reserved; the value parses to the declared type (or None where the default is
None); anything else exits 2 with the list of known parameters.
"""

import json
from pathlib import Path

import pytest

from trialkit import parameters
from trialkit.parameters import ParameterError, check, declared, with_values
from trialkit.resources import notebooks_dir

BUNDLED = sorted(notebooks_dir().glob("*.ipynb"))


def _notebook(tmp_path: Path, source: str, name: str = "n.ipynb") -> Path:
    nb = {
        "cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": source,
                   "outputs": [], "execution_count": None, "id": "p"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def test_declared_reads_types_defaults_and_help():
    p = declared(notebooks_dir() / "02_delta_sofa.ipynb")
    assert p["seed"].types == (int,) and p["seed"].default == 20251123
    assert p["death_rule"].choices == ("worst", "last", "exclude")
    assert p["population"].types == (str, type(None))
    assert p["death_rule"].help == "None: the spec's rule"


@pytest.mark.parametrize(
    ("pair", "value"),
    [
        ("seed=7", 7),
        ("death_rule=last", "last"),
        ("death_rule=None", None),
        ("population=analysed", "analysed"),
        ('population="per_protocol"', "per_protocol"),
    ],
)
def test_a_value_is_parsed_to_the_declared_type(pair, value):
    given, per_notebook = check([pair], BUNDLED)
    key = pair.split("=")[0]
    assert given[key] == value and type(given[key]) is type(value)
    # a notebook receives only the parameters it declares
    assert all(key in declared(notebooks_dir() / f"{stem}.ipynb")
               for stem, values in per_notebook.items() if key in values)  # fmt: skip


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("deathrule=last", "-p deathrule: no notebook that runs declares this parameter"),
        ("seed=abc", "-p seed=abc: seed takes int (default 20251123"),
        ("seed=7.5", "seed takes int"),
        ("death_rule=lasst", "death_rule takes 'worst' | 'last' | 'exclude' | None"),
        ("import os; os.system('touch F'); x=1", "a parameter name is a Python identifier"),
        ("1x=1", "a parameter name is a Python identifier"),
        ("class=1", "a parameter name is a Python identifier"),
        ("trial=x", "-p trial: set it with --trial, --data or --out instead"),
        ("out_dir=/tmp", "-p out_dir: set it with --trial, --data or --out instead"),
        ("seed", "-p expects KEY=VALUE"),
        ("population=a\nb", "control character"),
    ],
)
def test_a_bad_key_or_value_is_refused_with_a_message(pair, message):
    with pytest.raises(ParameterError) as info:
        check([pair], BUNDLED)
    assert message in str(info.value)


def test_an_unknown_key_lists_the_known_parameters_with_notebooks_and_defaults():
    with pytest.raises(ParameterError) as info:
        check(["deathrule=last"], BUNDLED)
    text = str(info.value)
    assert "death_rule: 'worst' | 'last' | 'exclude' | None, default None (02_delta_sofa)" in text
    assert "seed: int, default 20251123 (01_population" in text


def test_a_parameter_only_an_idle_notebook_declares_is_refused():
    # death_rule is 02's: when 02 does not run (COMBAT-SHINE has no change in SOFA), -p
    # death_rule would change nothing and must not pass for a sensitivity run.
    running = [nb for nb in BUNDLED if nb.stem != "02_delta_sofa"]
    with pytest.raises(ParameterError, match="no notebook that runs declares"):
        check(["death_rule=last"], running)


def test_the_injection_key_never_reaches_a_kernel(tmp_path, capsys):
    from trialkit.cli import main

    marker = tmp_path / "F"
    code = main(["report", "--trial", "imicro", "--out", str(tmp_path / "out"),
                 "-p", f"import os; os.system('touch {marker}'); x=1"])  # fmt: skip
    assert code == 2
    assert not marker.exists() and not (tmp_path / "out").exists()
    assert "a parameter name is a Python identifier" in capsys.readouterr().err


def test_an_unannotated_none_takes_any_scalar(tmp_path):
    nb = _notebook(tmp_path, "trial = 'x'\nlimit = None\n")
    given, _ = check(["limit=3"], [nb])
    assert given == {"limit": 3}


def test_an_unknown_annotation_is_the_notebook_authors_error(tmp_path):
    nb = _notebook(tmp_path, "from typing import List\nxs: List[int] = []\n")
    with pytest.raises(parameters.NotebookError, match="is not one of int, float, str"):
        declared(nb)


def test_with_values_rewrites_the_defaults_and_keeps_comments_and_types():
    source = 'trial = "imicro"  # the spec\ndeath_rule: str | None = None  # rule\nseed = 1\n'
    assert with_values(source, {"trial": "spec.toml", "death_rule": "last"}) == (
        "trial = 'spec.toml'  # the spec\ndeath_rule: str | None = 'last'  # rule\nseed = 1\n"
    )


def test_every_bundled_parameter_with_a_none_default_is_annotated():
    # An unannotated None would take any value; the bundled notebooks say what they accept.
    for nb in BUNDLED:
        for name, p in declared(nb).items():
            if p.default is None and name not in ("data_dir", "out_dir"):
                assert p.types != (type(None), bool, int, float, str), f"{nb.stem}: {name}"
