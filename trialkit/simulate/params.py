"""The twin model's parameters: read from a twin file, or defaults built from any spec.

A bundled twin's parameters are data, not code: ``data/<trial>/twin.toml`` (``[params]``,
each a field of :class:`TwinParams`). A spec trialkit does not ship gets a twin from
:func:`default_params`: its arms, size, follow-up, SOFA variant, population flags and extra
tables come from the spec, every other parameter is the model's documented default, and all
treatment effects are 0 (a null trial) unless a scenario sets them.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from trialkit.resources import bundled_data
from trialkit.spec import Spec, SpecError, load_spec

ORGANS = ("resp", "coag", "liver", "cardio", "cns", "renal")
TWIN_FILE = "twin.toml"


@dataclass(frozen=True)
class Exclusion:
    """A randomized patient left out of the analysed (mITT) population."""

    arm: str
    reason: str
    withdrawn: bool = False


@dataclass(frozen=True)
class TwinParams:
    """Parameters of the generative model (see the module docstring for the equations).

    Organ tuples are in the order resp, coag, liver, cardio, cns, renal. Latent organ
    values are on the SOFA scale (0 to 4.99: the integer part is the component score).
    The treatment effects are explicit; set them all to 0 for a null scenario.
    """

    prefix: str
    horizon: int
    randomized: tuple[int, int]  # (experimental, control)
    seed: int
    exclusions: tuple[Exclusion, ...] = ()
    pp_deviations: tuple[int, int] = (0, 0)
    n_sites: int = 10
    first_date: str = "2019-01-01"
    last_date: str = "2022-06-30"
    lactate_min: float = 0.0
    thrombomodulin: bool = False
    qol_days: tuple[int, ...] = ()
    # extra tables of a spec that is not bundled: (table name, value columns, visit days)
    repeated: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = ()
    visits: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = ()
    extra_flags: tuple[str, ...] = ()  # population flag columns besides mitt, per_protocol
    # latent organ model
    base_mean: tuple[float, ...] = (3.0, 2.0, 1.6, 4.0, 2.2, 2.6)
    base_load: tuple[float, ...] = (0.8, 0.7, 0.6, 0.3, 0.8, 0.9)
    base_sd: tuple[float, ...] = (0.6, 0.6, 0.6, 0.3, 0.7, 0.6)
    residual: tuple[float, ...] = (0.6, 0.6, 0.4, 0.2, 0.3, 0.7)
    recovery_rate: float = 0.24  # per day, median over patients
    recovery_sd: float = 0.6  # log-scale SD across patients
    recovery_severity: float = 0.3  # log-rate lost per SD of severity
    recovery_lag: float = 2.0  # mean days before recovery starts (shock persists first)
    noise_sd: float = 0.35
    noise_rho: float = 0.6
    death_peak: float = 4.0  # latent level organs approach before an ICU death
    death_window: float = 4.0  # mean days of pre-death deterioration
    vent_threshold: float = 2.6  # latent respiratory level that needs ventilation
    rrt_threshold: float = 4.3  # latent renal level that needs RRT
    discharge_score: int = 5
    p_missing_bilirubin: float = 0.15
    # vital status
    death28_logit: float = -0.4
    death_severity_log_or: float = 0.5
    early_death_tau: float = 4.0  # days, truncated geometric law of the day of death
    late_death_logit: float = -2.0  # days 29..horizon among day-28 survivors
    ward_death_fraction: float = 0.15
    # adverse events
    sae_logit: float = -2.4
    ae_rate: float = 0.08  # non-serious events per ICU day
    # treatment effects (experimental vs control)
    effect_sofa: float = 0.0
    effect_death_log_or: float = 0.0
    effect_sae_log_or: float = 0.0
    # published counts the bundled realisation is conditioned on, (experimental, control)
    target_deaths_28: tuple[int, int] | None = None
    target_deaths_horizon: tuple[int, int] | None = None
    target_sae: tuple[int, int] | None = None
    sae_window: tuple[int, int] = (0, 28)
    condition: bool = True
    # patients of the realisation exchanged for pool patients of the same signature
    # (trialkit.simulate.condition): (slot, pool seed, pool patient), patient numbers from 1
    swaps: tuple[tuple[int, int, int], ...] = ()
    # the parameters and seed the swaps were found for (params_fingerprint): they apply to
    # that draw only
    swaps_for: str = ""
    notes: dict[str, str] = field(default_factory=dict, compare=False)


_TUPLE_FIELDS = {f.name for f in fields(TwinParams) if str(f.type).startswith("tuple")}


# What a twin file's [readme] may say: a finding the folder's README prints, and how many seeds
# (1..N) the bundled seed was chosen among, which the README states.
_README_KEYS = frozenset({"finding", "seeds_searched"})


def read_twin_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``[params]`` of a twin file as :class:`TwinParams` fields, and its ``[readme]``.

    Raises
    ------
    trialkit.spec.SpecError
        The file is not TOML, names a parameter the model does not have, or its ``[readme]``
        holds a key other than ``finding`` (a string) and ``seeds_searched`` (an integer of at
        least 1).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read as a twin file ({exc})") from exc
    known = {f.name for f in fields(TwinParams)}
    problems = [f"{path}: [{k}]: unknown section (known: [params], [readme])"
                for k in raw if k not in ("params", "readme")]  # fmt: skip
    params: dict[str, Any] = {}
    for key, value in raw.get("params", {}).items():
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            problems.append(
                f"{path}: [params] {key}: not a parameter of the twin model"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
        elif key == "exclusions":
            params[key] = tuple(Exclusion(**e) for e in value)
        elif key in _TUPLE_FIELDS and isinstance(value, list):
            params[key] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        else:
            params[key] = value
    problems += _swap_problems(path, params.get("swaps", ()))
    readme = dict(raw.get("readme", {}))
    for key, value in readme.items():
        if key not in _README_KEYS:
            problems.append(f"{path}: [readme] {key}: unknown key (known: "
                            f"{', '.join(sorted(_README_KEYS))})")  # fmt: skip
        elif key == "seeds_searched" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            problems.append(
                f"{path}: [readme] seeds_searched = {value!r}: give the number of seeds the "
                "bundled seed was chosen among (an integer, at least 1)"
            )
        elif key == "finding" and not isinstance(value, str):
            problems.append(f"{path}: [readme] finding: give a string (Markdown)")
    if problems:
        raise SpecError(problems)
    return params, readme


def _normal(v: Any) -> Any:
    """A parameter's value as a twin file holds it (floats to 6 decimals, plain types)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, Exclusion):
        return ("exclusion", v.arm, v.reason, bool(v.withdrawn))
    if isinstance(v, tuple | list):
        return tuple(_normal(x) for x in v)
    if isinstance(v, int | np.integer):
        return int(v)
    return round(float(v), 6)


def params_fingerprint(p: TwinParams) -> str:
    """A short fingerprint of every parameter but the exchanges themselves (seed included),
    as a twin file writes them: what a conditioned twin's ``swaps`` were found for.

    :func:`trialkit.simulate.twin` applies the exchanges only to the draw whose parameters
    still have this fingerprint, so editing a parameter, changing the seed or drawing a
    scenario gives a plain draw of the model, never exchanges found for another one.
    """
    skip = ("swaps", "swaps_for", "notes")
    items = [
        (f.name, _normal(getattr(p, f.name))) for f in fields(TwinParams) if f.name not in skip
    ]
    return hashlib.sha256(repr(items).encode("utf-8")).hexdigest()[:16]


def swaps_apply(p: TwinParams, seed: int | None = None) -> bool:
    """Whether ``p``'s exchanges apply to its draw at ``seed`` (default its own)."""
    own = p.seed if seed is None else int(seed)
    return bool(p.swaps) and own == p.seed and p.swaps_for == params_fingerprint(p)


def _swap_problems(path: Path, swaps: Any) -> list[str]:
    """What is wrong with a twin file's ``swaps`` (a list of [slot, pool seed, pool patient])."""
    if not isinstance(swaps, tuple):
        return [f"{path}: [params] swaps: give a list of [slot, pool seed, pool patient]"]
    out = []
    for k, item in enumerate(swaps, start=1):
        ok = isinstance(item, tuple) and len(item) == 3
        shown = list(item) if isinstance(item, tuple) else repr(item)
        if not ok or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in item):
            out.append(
                f"{path}: [params] swaps, entry {k} = {shown}: give "
                "[slot, pool seed, pool patient], three integers of at least 1"
            )
    slots = [item[0] for item in swaps if isinstance(item, tuple) and item]
    dup = sorted({s for s in slots if slots.count(s) > 1})
    if dup:
        out.append(f"{path}: [params] swaps: slot(s) {dup} appear more than once")
    return out


def bundled_twin_file(spec: Spec) -> Path | None:
    """``twin.toml`` of the trial's bundled data folder, if trialkit ships one."""
    folder = bundled_data(spec.id)
    path = folder / TWIN_FILE if folder is not None else None
    return path if path is not None and path.is_file() else None


def default_params(spec: Spec, seed: int = 1) -> TwinParams:
    """A twin for any spec: structure from the spec, the model's defaults for the rest.

    The size is the spec's ``randomized`` (else ``planned_n``, else 200), split as evenly as
    possible; the follow-up is ``followup_days``; the serious-event window is that of the
    spec's first ``serious_adverse_event`` endpoint; every extra table of kind ``repeated``
    or ``quality_of_life`` is drawn for its ``measures`` on its ``days`` (default days 0-3,
    and the last day of follow-up); every population flag the spec names is written. All
    treatment effects are 0, and nothing is conditioned on published counts.
    """
    t = spec.raw.get("trial", {})
    n = int(t.get("randomized") or t.get("planned_n") or 200)
    prefix = "".join(ch for ch in spec.id.upper() if ch.isalnum())[:4] or "PT"
    sae = spec.with_rule("serious_adverse_event")
    window = tuple(spec.endpoint_options(sae[0]).get("window", (0, spec.followup_days)))
    repeated, visits = [], []
    for name in spec.tables_of_kind("repeated"):
        opts = spec.table_options[name]
        days = tuple(opts.get("days", (0, 1, 2, 3)))
        repeated.append((name, tuple(opts.get("measures", {})), days))
    for name in spec.tables_of_kind("quality_of_life"):
        opts = spec.table_options[name]
        days = tuple(opts.get("days", (spec.followup_days,)))
        visits.append((name, tuple(opts.get("measures", {})), days))
    flags = tuple(
        dict.fromkeys(f for f in spec.populations.values() if f not in ("mitt", "per_protocol"))
    )
    return TwinParams(
        prefix=prefix,
        horizon=spec.followup_days,
        randomized=((n + 1) // 2, n // 2),
        seed=seed,
        sae_window=(int(window[0]), int(window[1])),
        repeated=tuple(repeated),
        visits=tuple(visits),
        extra_flags=flags,
        condition=False,
    )


def twin_params(trial: Spec | str, **scenario: Any) -> TwinParams:
    """The parameters of a trial's twin, with some changed (a scenario).

    A bundled trial's come from its ``twin.toml``; any other spec's from
    :func:`default_params`. Changing the arm sizes switches off the conditioning on the
    published counts, unless ``condition=True`` is passed explicitly (and then the targets
    must fit the arms).
    """
    if not isinstance(trial, Spec):
        trial = load_spec(trial)
    known = {f.name for f in fields(TwinParams)}
    unknown = set(scenario) - known
    if unknown:
        raise TypeError(f"unknown twin parameter(s) {sorted(unknown)}; known: {sorted(known)}")
    path = bundled_twin_file(trial)
    if path is not None:
        base = TwinParams(**read_twin_file(path)[0])
    else:
        base = default_params(trial)
    if "randomized" in scenario and "condition" not in scenario:
        scenario["condition"] = False
        scenario.setdefault("exclusions", ())
    return replace(base, **scenario)
