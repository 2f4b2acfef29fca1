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


# -- the spec schema: every problem named with the file and the key ---------------------------

MINIMAL = """
[trial]
id = "mini"
experimental = "drug"
control = "control"
followup_days = 60

[populations]
primary = "mitt"

[endpoints.death_d60]
rule = "dead_by"
day = 60
"""


def _problems(tmp_path, text: str, name: str = "spec.toml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert all(str(path) in p for p in info.value.problems), info.value.problems
    return info.value.problems


def test_a_minimal_spec_loads_with_its_own_arms_and_horizon(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    spec = load_spec(path)
    assert spec.arms == ("drug", "control")
    assert spec.followup_days == 60
    assert spec.path == path
    assert spec.with_rule("dead_by") == ["death_d60"]


def test_a_misspelt_key_is_refused_with_a_did_you_mean(tmp_path):
    problems = _problems(tmp_path, MINIMAL.replace("followup_days", "folowup_days"))
    assert problems == [
        f"{tmp_path / 'spec.toml'}: [trial] folowup_days: unknown key; "
        "did you mean 'followup_days'?"
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('experimental = "drug"', "experimental = 1"),
            "[trial] experimental: must be text, got 1",
        ),
        (("day = 60", 'day = "60"'), "[endpoints.death_d60] day: must be a whole number"),
        (('rule = "dead_by"', 'rule = "dead_bye"'), "did you mean 'dead_by'?"),
        (("day = 60", "day = 60\nwindow = [1, 7]"), "[endpoints.death_d60] window: unknown key"),
        (('control = "control"', 'control = "drug"'), "arms have the same label 'drug'"),
        (
            ('[populations]\nprimary = "mitt"', '[populations]\nitt = "mitt"'),
            "[populations]: missing required key 'primary'",
        ),
        (
            ("followup_days = 60", 'followup_days = 60\nprimary = "death_60"'),
            "[trial] primary: 'death_60' is not an endpoint of the spec; did you mean 'death_d60'?",
        ),
        (("[trial]", "[trail]"), "[trail]: unknown section; did you mean 'trial'?"),
    ],
)
def test_each_schema_rule_names_the_spec_file_and_key(tmp_path, edit, message):
    old, new = edit
    assert old in MINIMAL
    problems = _problems(tmp_path, MINIMAL.replace(old, new))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("endpoints", "5", "[endpoints]: must be a table of endpoints, got 5"),
        ("populations", '"mitt"', "[populations]: must be a table name = flag column, got 'mitt'"),
        ("assumptions", '"none"', "[[assumptions]]: must be an array of tables"),
    ],
)
def test_a_section_of_the_wrong_type_is_named(tmp_path, section, value, message):
    # A top-level key must come before the first [table] of a TOML file.
    body = MINIMAL.split(f"[{section}]")[0] if f"[{section}]" in MINIMAL else MINIMAL
    if section == "populations":
        body = MINIMAL.replace('[populations]\nprimary = "mitt"\n', "")
    elif section == "endpoints":
        body = MINIMAL.split("[endpoints.death_d60]")[0]
    problems = _problems(tmp_path, f"{section} = {value}\n{body}")
    assert any(message in p for p in problems), problems


def test_an_assumption_concerning_nothing_known_is_refused(tmp_path):
    text = MINIMAL + '\n[[assumptions]]\nid = "a"\nconcerns = ["death_60"]\ntext = "x"\n'
    problems = _problems(tmp_path, text)
    assert (
        "[[assumptions]] 1 concerns: 'death_60' is not an endpoint id, table or topic"
        in (problems[0])
    )
    assert "'death_d60'" in problems[0]


def test_every_problem_is_reported_at_once(tmp_path):
    text = MINIMAL.replace("followup_days = 60", "folowup_days = 60\nplanned_n = -3")
    text = text.replace("day = 60", 'day = "sixty"')
    assert len(_problems(tmp_path, text)) == 3


def test_a_folder_a_latin1_file_and_bad_toml_are_named(tmp_path):
    with pytest.raises(SpecError, match="is a folder, not a spec file"):
        load_spec(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(MINIMAL.replace('"drug"', '"médicament"').encode("latin-1"))
    with pytest.raises(SpecError, match=r"line 4: not UTF-8 text \(byte 0xe9\)"):
        load_spec(latin)
    broken = tmp_path / "broken.toml"
    broken.write_text("[trial\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(broken)
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "absent.toml")


def test_an_unknown_trial_id_suggests_the_nearest_shipped_one():
    with pytest.raises(SpecError, match="did you mean 'imicro'"):
        load_spec("imikro")


@pytest.mark.parametrize("trial", ["imicro", "combat_shine"])
def test_shipped_specs_say_what_each_assumption_concerns(trial):
    spec = load_spec(trial)
    assert spec.primary in spec.endpoints
    for a in spec.assumptions:
        assert a["concerns"], a["id"]


def test_the_reanalysis_keys_are_checked_too(tmp_path):
    # [wins] levels are checked by the hierarchy parser of trialkit.stats.wins; mcid and
    # [bayes] by the schema.
    text = MINIMAL + (
        "mcid = -1\n"
        '[wins]\n[[wins.levels]]\ncolumn = "death_day"\nkind = "time"\n'
        "[bayes]\ntail = 0.7\n"
    )
    problems = _problems(tmp_path, text)
    assert any("[endpoints.death_d60] mcid: must be 0 < value" in p for p in problems)
    assert any("[[wins.levels]]: hierarchy level 1: a time level needs a numeric 'horizon'" in p
               for p in problems)  # fmt: skip
    assert any("[bayes] tail: must be 0 < value < 0.5" in p for p in problems)


@pytest.mark.parametrize("trial", ["imicro", "combat_shine"])
def test_shipped_specs_state_a_hierarchy_and_mcids(trial):
    spec = load_spec(trial)
    assert spec.wins["levels"][0]["kind"] == "time"
    assert all("mcid" in spec.endpoints[e] for e in spec.with_rule("dead_by"))
