import pytest

from trialkit.spec import SpecError, available, load_spec


@pytest.mark.parametrize("trial", ["imicro", "combat_shine"])
def test_shipped_specs_load(trial):
    spec = load_spec(trial)
    assert spec.id == trial
    assert spec.arms == ("iloprost", "placebo")
    assert spec.endpoints, "a spec without endpoints analyses nothing"
    ids = [a["id"] for a in spec.assumptions]
    assert len(ids) == len(set(ids))


def test_available_lists_both_trials():
    assert {"imicro", "combat_shine"} <= set(available())


def test_unknown_trial_names_the_shipped_specs():
    with pytest.raises(SpecError, match="imicro"):
        load_spec("nosuchtrial")


def test_missing_key_is_named():
    with pytest.raises(SpecError, match="experimental"):
        load_spec({"trial": {"id": "x", "control": "placebo"}})


def test_with_options_changes_one_endpoint_only():
    spec = load_spec("imicro")
    alt = spec.with_options("delta_sofa", death="last")
    assert alt.endpoints["delta_sofa"]["death"] == "last"
    assert spec.endpoints["delta_sofa"]["death"] == "worst"
    assert alt.endpoint_options("delta_sofa")["day"] == 7
    assert "rule" not in alt.endpoint_options("delta_sofa")
