"""trialkit.stats and trialkit.design load their functions on first use (trialkit._lazy).

The public names must behave as if imported eagerly (attribute, ``from ... import``, ``*``,
``dir``), every function of every module must be listed, and importing the packages must not
pull in statsmodels, lifelines or scipy.stats (they cost seconds; see
benchmarks/bench_import.py).
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import trialkit.design
import trialkit.stats

PACKAGES = [trialkit.stats, trialkit.design]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_module_of_the_package_is_registered(package):
    here = Path(package.__file__).parent
    modules = {p.stem for p in here.glob("*.py") if not p.stem.startswith("_")}
    unregistered = sorted(modules - set(package._WHERE))
    assert not unregistered, (
        f"register {unregistered} and the names of their __all__ in _WHERE of "
        f"{package.__name__}/__init__.py (their functions load lazily from there)"
    )
    assert set(package._WHERE) <= modules


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_all_lists_every_public_function_of_the_modules(package):
    # A module registered with no names is reached as a submodule only (trialkit.design.plots).
    listed = set(package.__all__)
    for module_name in (m for m, names in package._WHERE.items() if names):
        module = importlib.import_module(f"{package.__name__}.{module_name}")
        missing = set(getattr(module, "__all__", ())) - listed
        assert not missing, f"{module.__name__}: {sorted(missing)} not in {package.__name__}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_each_name_is_the_function_of_its_module(package):
    for name in package.__all__:
        value = getattr(package, name)
        module = importlib.import_module(value.__module__)
        assert module.__name__.startswith(package.__name__ + ".")
        assert getattr(module, name) is value
        assert name in dir(package)


def test_from_import_and_star_import():
    from trialkit.stats import hodges_lehmann, logrank
    from trialkit.stats.rank import hodges_lehmann as direct

    assert hodges_lehmann is direct
    assert callable(logrank)
    namespace: dict = {}
    exec("from trialkit.stats import *", namespace)
    assert set(trialkit.stats.__all__) <= set(namespace)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'hodges_lehman'"):
        trialkit.stats.hodges_lehman  # noqa: B018
    with pytest.raises(ImportError):
        exec("from trialkit.design import sample_size_mean", {})


def test_group_sequential_is_the_function_not_its_module():
    # The module trialkit.design.group_sequential shares the function's name; importing the
    # modules that import it must not rebind the package attribute to the module.
    import trialkit.design.interim
    import trialkit.design.operating
    from trialkit.design import group_sequential

    assert callable(group_sequential)
    assert trialkit.design.group_sequential is group_sequential
    assert group_sequential.__module__ == "trialkit.design.group_sequential"


def test_rmst_is_the_function_and_its_module_imports():
    import trialkit.stats.rmst  # binds the module to the package attribute, but for _Package
    from trialkit.stats import rmst
    from trialkit.stats.rmst import rmst_difference

    assert callable(rmst) and rmst.__module__ == "trialkit.stats.rmst"
    assert trialkit.stats.rmst is rmst
    assert callable(rmst_difference)


def test_submodules_are_attributes():
    assert trialkit.stats.rank.__name__ == "trialkit.stats.rank"
    from trialkit.design import plots

    assert plots.__name__ == "trialkit.design.plots"


def test_importing_the_packages_loads_no_heavy_library():
    code = (
        "import sys; import trialkit.stats, trialkit.design, trialkit.tables, trialkit.plots; "
        "print(','.join(m for m in ('statsmodels', 'lifelines', 'scipy.stats', "
        "'scipy.optimize') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_reading_a_spec_and_a_trial_loads_no_heavy_library():
    # load_trial checks the spec, whose [wins] levels are parsed by trialkit.stats._hierarchy:
    # that must not import the estimators (scipy.stats alone took 2.7 s of a load at 10^6 rows).
    code = (
        "import sys; from trialkit.spec import load_spec; from trialkit.schema import load_trial; "
        "load_spec('imicro'); load_spec('combat_shine'); "
        "print(','.join(m for m in ('statsmodels', 'lifelines', 'scipy.stats', "
        "'scipy.optimize') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
