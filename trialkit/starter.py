"""``trialkit init``: a starter folder for one's own trial.

It writes what a new trial needs and nothing more: ``spec.toml`` (the analysis plan as data,
every key commented, valid as written so that each edit can be checked at once), ``data/``
with the files of the data contract holding their header lines only, and
``data/README.md``, the codebook generated from the same column table the checks use.
"""

from __future__ import annotations

import re
from pathlib import Path

from trialkit.spec import load_spec

SPEC_TEMPLATE = '''\
# {name}: the statistical analysis plan as data. Edit it, then check it with
#   trialkit validate data --trial spec.toml
# Every key is explained below; `trialkit` refuses unknown keys with a did-you-mean.
# A choice your protocol or publication does not state belongs under [[assumptions]].

[trial]
id = "{id}"                      # letters, digits, '_' or '-': names the report's folders
name = "{name}"                  # shown on every page
title = ""                       # the trial's full title
registration = ""                # e.g. "NCT01234567"
publication = ""                 # the results paper, when there is one
experimental = "experimental"    # the arm labels exactly as written in patients.csv, column arm
control = "control"              # estimates are experimental vs control
followup_days = 28               # days of follow-up after randomization (day 0)
planned_n = 200                  # the planned sample size
primary = "delta_sofa"           # the id of the primary endpoint (one of [endpoints.*])

[populations]                    # analysis populations: name = 0/1 flag column of patients.csv
primary = "mitt"                 # required: the population of the primary analysis
per_protocol = "per_protocol"

[sofa]
exclude = []                     # organ systems left out: ["cns"] gives the 5-system modified SOFA
missing = "normal"               # a missing component scores 0 ("normal"), "locf" or "na"

[tables]                         # extra tables your trial brings, e.g.
# [tables.labs]                  #   file = "labs.csv", kind = "repeated",
#                                #   measures = {{ crp_mg_l = "C-reactive protein" }}, scale = "log"

# Endpoints: one table each, [endpoints.<id>]. `rule` names a function of trialkit.endpoints
# (delta_sofa, mean_daily_sofa, free_days, dead_by, days_alive_out_of_icu,
# serious_adverse_event); the other keys are its options. `population` (default primary)
# and `analysis` ("hodges_lehmann" or "adjusted_mean_difference" with `covariates` and
# `factors`) say how it is analysed.

[endpoints.delta_sofa]
label = "Change in SOFA from randomization to day 7"
rule = "delta_sofa"
day = 7
baseline_day = 0
death = "worst"                  # a death before `day` scores the worst SOFA (or "last", "exclude")
discharge = "last"               # a discharge before `day` keeps the last ICU score ("zero", ...)

[endpoints.mean_sofa]
label = "Mean daily SOFA, days 1-7"
rule = "mean_daily_sofa"
window = [1, 7]
days = "icu"                     # ICU days only ("all": every day, with the death/discharge rules)

[endpoints.death_d28]
label = "Death by day 28"
rule = "dead_by"
day = 28

[endpoints.vent_free_d28]
label = "Ventilation-free survival days by day 28"
rule = "free_days"
support = "mech_vent"            # a 0/1 column of daily.csv: mech_vent, vasopressor or rrt
horizon = 28
death_value = 0                  # what a death before the horizon scores

[endpoints.sae]
label = "Patients with a serious adverse event by day 28"
rule = "serious_adverse_event"
window = [0, 28]

# The design, for the sample-size and interim notebooks (optional):
# [design]
# planned_n = 200
# relative_reduction = 0.2       # or effect = 1.5 (the difference to detect)
# reference = "the pilot study"  # where the mean and SD come from
# reference_mean = 8.0
# reference_sd = 4.0
# power = 0.9
# alpha = 0.05

[[assumptions]]
id = "death-rule"
concerns = ["delta_sofa"]        # endpoint ids, tables or topics (population, sofa, design, ...)
text = """Write here every choice the protocol does not state, and what the alternatives are.
This one is an example: the worst-score rule for deaths before day 7."""

# Commentary that only this trial's report shows, beside the analyses it concerns:
# [[commentary]]
# concerns = ["death_d28"]
# text = """..."""
'''


def _trial_id(name: str) -> str:
    tid = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-") or "my_trial"
    return tid if tid[0].isalnum() else f"t{tid}"


def write_starter(folder: str | Path, *, name: str | None = None) -> Path:
    """Write a starter folder for one's own trial (see the module docstring).

    Raises
    ------
    FileExistsError
        ``folder`` exists and is not empty: nothing is written over.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = write_starter(Path(tempfile.mkdtemp()) / "alpha")
    >>> sorted(p.name for p in (folder / "data").iterdir())
    ['README.md', 'daily.csv', 'events.csv', 'patients.csv']
    >>> load_spec(folder / "spec.toml").arms
    ('experimental', 'control')
    """
    from trialkit.schema import DAILY, EVENTS, PATIENTS, codebook_markdown

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(
            f"{folder}: exists and is not empty; give a new folder (nothing was written)"
        )
    display = name or folder.name or "My trial"
    text = SPEC_TEMPLATE.format(id=_trial_id(folder.name or display), name=display)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    spec_path = folder / "spec.toml"
    spec_path.write_text(text, encoding="utf-8")
    spec = load_spec(spec_path)  # the starter is a valid spec as written
    for file, defs in (("patients.csv", PATIENTS), ("daily.csv", DAILY), ("events.csv", EVENTS)):
        # The required columns; of an either/or pair (bilirubin, creatinine units) the first.
        # The codebook beside them lists the optional ones.
        keep, pairs = [], set()
        for d in defs:
            if d.pair and d.pair not in pairs:
                pairs.add(d.pair)
                keep.append(d.name)
            elif d.required and not d.pair:
                keep.append(d.name)
        (data / file).write_text(",".join(keep) + "\n", encoding="utf-8")
    (data / "README.md").write_text(
        f"# {spec.name}: data folder\n\n" + codebook_markdown(spec).strip() + "\n",
        encoding="utf-8",
    )
    return folder
