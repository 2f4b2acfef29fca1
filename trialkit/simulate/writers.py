"""Writing a twin as a data folder: its tables, byte-stable, and its README (codebook)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialkit.simulate.draws import _spec, twin
from trialkit.simulate.model import SOFA2_DECIMALS
from trialkit.simulate.params import (
    TwinParams,
    bundled_twin_file,
    read_twin_file,
    swaps_apply,
    twin_params,
)
from trialkit.spec import Spec

_DECIMALS = {
    "weight_kg": 1,
    "lactate_mmol_l": 1,
    "thrombomodulin_ng_ml": 1,
    "syndecan1_ng_ml": 1,
    "eq5d_index": 3,
    "fio2": 2,
    "bilirubin_mg_dl": 1,
    "creatinine_mg_dl": 2,
    "norepinephrine_ug_kg_min": 2,
    "epinephrine_ug_kg_min": 2,
    "dopamine_ug_kg_min": 1,
    "dobutamine_ug_kg_min": 1,
    **SOFA2_DECIMALS,
}


def _formatted(frame: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Every column as text with a fixed format, so the files are identical byte for byte."""
    decimals = {**_DECIMALS, **(decimals or {})}
    out = {}
    for col in frame.columns:
        v = frame[col]
        if v.dtype.kind in "fiub":
            a = v.to_numpy(dtype=float)
            dec = decimals.get(col, 0)
            txt = np.char.mod(f"%.{dec}f", np.round(a, dec))
            out[col] = np.where(np.isnan(a), "", txt)
        else:
            out[col] = v.astype(str).to_numpy()
    return pd.DataFrame(out)


def _write_csv(frame: pd.DataFrame, path: Path, decimals: Mapping[str, int] | None = None) -> None:
    _formatted(frame, decimals).to_csv(path, index=False, lineterminator="\n")


def write_twin(
    trial: str | Spec,
    out_dir: str | Path,
    *,
    seed: int | None = None,
    params: TwinParams | None = None,
    **scenario: Any,
) -> Path:
    """Write a twin as a data folder (CSV tables, one file per table).

    With ``seed=None`` and no scenario this regenerates the bundled ``data/<trial>/`` tables
    byte for byte (fixed float formats, sorted rows, no timestamps). The codebook, the
    published figures and the calibration table are written by :func:`write_bundle`.
    """
    spec = _spec(trial)
    p = twin_params(spec, **scenario) if params is None else params
    t = twin(spec, seed, params=p) if params is not None else twin(spec, seed, **scenario)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Measures of a spec's own extra tables keep the precision they are drawn with.
    decimals = {m: 1 for _, ms, _ in p.repeated for m in ms}
    decimals |= {m: 3 for _, ms, _ in p.visits for m in ms}
    _write_csv(t.patients, out / "patients.csv")
    _write_csv(t.daily, out / "daily.csv")
    _write_csv(t.events, out / "events.csv")
    for name, frame in t.tables.items():
        _write_csv(frame, out / spec.tables.get(name, f"{name}.csv"), decimals)
    return out


_README = """# {name} — SYNTHETIC data (a twin, not the trial's patients)

{intro}

## How it was made

{made}
{finding}
## Regenerate

```
{commands}
```

In Python, `trialkit.simulate.twin(spec, seed, effect_sofa=0.0, condition=False)` gives a
`Trial` in memory (a null scenario for power simulations); `TwinParams` lists every
parameter.

## Files

{files}

{codebook}
"""

_MADE = """Each patient has a latent severity that drives baseline organ dysfunction, the chance of
death and the speed of recovery. Six latent organ trajectories (SOFA scale) recover
exponentially in survivors and rise before an ICU death; the raw daily values (PaO2/FiO2,
platelets, bilirubin, MAP and catecholamines, GCS, creatinine, urine output) are placed
inside the SOFA band of each latent score, so they agree with each other and with
ventilation, vasopressor and RRT flags. ICU discharge follows recovery (a survivor still
in ICU on day {horizon} is recorded as discharged that day)."""

_CONDITIONED = """The {source} counts ({counts}; where only a percentage is given, the
nearest count, e.g. 49% of 142 = 69.6 -> 70) are met exactly by drawing the death and
serious-event indicators from the model conditional on their per-arm totals (rejection
sampling); the distributional figures are met by the {fitted} and the choice of seed ({seed}:
{seeds}, the one whose misses beyond each target's tolerance, squared in units of the
tolerance, sum least, `trialkit.simulate.calibrate`). What the
publications leave open (e.g. the reasons for exclusions, per-protocol deviations, sites,
dates) is synthetic. `calibration.csv` shows every target beside the value realised here."""

_SWAPPED = """The realisation is then conditioned on the published medians, quartiles and
shifts: {k} of its {n} patients are exchanged for patients drawn from the same model at {pools}
other seeds with the same arm, populations, withdrawal, deaths and serious events, so every
count above is unchanged and every patient is still a whole course of the model
(`trialkit.simulate.condition`: a search that keeps each exchange bringing the printed numbers
closer; `swaps` in `twin.toml` lists them). Other seeds than {seed} are plain draws."""

_CONDITIONED_FIT = """The published counts ({counts}; where only a percentage is given,
the nearest count, e.g. 49% of 142 = 69.6 -> 70) are met exactly by drawing the death and
serious-event indicators from the model conditional on their per-arm totals (rejection
sampling). The other parameters were fitted to every figure of `published.toml` that the
notebooks reproduce by `trialkit calibrate` (simulated method of moments with common random
numbers), and the seed ({seed}) is the one of seeds 1-{searched} whose realisation prints the
most of the primary endpoint's published numbers, then agrees with the most figures.
`fit_report.md` shows every published number beside this folder's, with the reason for each
that differs. What the publications leave open (e.g. the reasons for exclusions,
per-protocol deviations, sites, dates) is synthetic. `calibration.csv` shows the targets of
the earlier hand calibration beside the value realised here."""


def _wrap(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=92, break_on_hyphens=False)


def codebook(trial: str | Spec, params: TwinParams | None = None, calibrated: bool = False) -> str:
    """The folder's ``README.md``: what the data is, how it was made, and the codebook.

    ``params`` are the twin's parameters (default: the trial's own, see
    :func:`trialkit.simulate.twin_params`); ``calibrated`` says a ``calibration.csv`` of the
    user's targets sits beside the tables.
    """
    from trialkit.schema import codebook_markdown

    spec = _spec(trial)
    p = twin_params(spec) if params is None else params
    bundled = bundled_twin_file(spec)
    readme = read_twin_file(bundled)[1] if bundled is not None else {}
    counts = ["patients randomized, excluded and analysed"]
    for what, pair in (
        ("deaths by day 28", p.target_deaths_28),
        (f"deaths by day {p.horizon}", p.target_deaths_horizon if p.horizon > 28 else None),
        ("patients with a serious adverse event", p.target_sae),
    ):
        if pair and p.condition:
            counts.append(f"{what} {pair[0]} {spec.experimental} / {pair[1]} {spec.control}")
    if bundled is not None:
        how = (
            ", whose parameters (`twin.toml`) were calibrated so that the prespecified analyses, "
            "run on these files through `trialkit.endpoints`, land on the published figures "
            "(`published.toml`)"
        )
        conditioned = _CONDITIONED_FIT.format(
            counts=", ".join(counts), seed=p.seed, searched=readme.get("seeds_searched", 100)
        )
        if swaps_apply(p):
            conditioned += " " + _SWAPPED.format(
                k=len(p.swaps),
                n=sum(p.randomized),
                seed=p.seed,
                pools=len({s for _, s, _ in p.swaps}),
            )
        commands = (
            f"trialkit simulate --trial {spec.id} --out data/{spec.id} --force   "
            "# the bundled seed: identical bytes\n"
            f"trialkit simulate --trial {spec.id} --seed 7 --out /tmp/twin        "
            "# another realisation"
        )
        files = (
            "; `twin.toml` (the model's parameters); `published.toml` (the published figures, "
            "each with its source); `fit_report.md` (every published number beside this "
            "folder's: `trialkit calibrate --report`); `calibration.csv` (target, realised, "
            "tolerance, met)"
        )
    else:
        how = (
            ", calibrated to the targets of `calibration.csv`"
            if calibrated
            else " with its documented default parameters and no treatment effect (a null "
            "trial): its numbers describe no real trial"
        )
        conditioned = (
            _CONDITIONED.format(
                source="target", counts=", ".join(counts), fitted="model's defaults",
                seed=p.seed, seeds="of the seeds tried",
            )
            if calibrated
            else ""
        )  # fmt: skip
        where = spec.path.name if spec.path is not None else f"{spec.id}.toml"
        commands = f"trialkit simulate --trial {where} --seed {p.seed} --out DIR"
        files = "; `calibration.csv` (target, realised, tolerance, met)" if calibrated else ""
    private = f": the patient-level data of {spec.name} is not public" if bundled else ""
    intro = (
        f"**This folder holds synthetic data.** No row describes a real patient{private}. The "
        f"data was drawn from the generative model of `trialkit.simulate`{how}. Use it to learn "
        "and teach the analyses, never as evidence about the treatment."
    )
    extra = "".join(f", `{f}`" for f in spec.tables.values())
    text = _README.format(
        name=spec.name,
        intro=_wrap(intro),
        made=_wrap(_MADE.format(horizon=p.horizon) + (" " + conditioned if conditioned else "")),
        finding=("\n" + readme["finding"].strip() + "\n") if readme.get("finding") else "",
        commands=commands,
        files=_wrap(f"`patients.csv`, `daily.csv`, `events.csv`{extra}{files}."),
        codebook=codebook_markdown(spec).strip(),
    )
    return text.rstrip() + "\n"


def write_bundle(trial: str | Spec, out_dir: str | Path) -> Path:
    """Write the bundled folder: the twin's tables, ``calibration.csv`` and ``README.md``.

    ``published.toml`` (written by hand from the sources) and ``twin.toml`` are left as they
    are.
    """
    from trialkit.simulate.calibration import write_calibration

    spec = _spec(trial)
    out = write_twin(spec, out_dir)
    write_calibration(out)
    (out / "README.md").write_text(codebook(spec), encoding="utf-8")
    return out
