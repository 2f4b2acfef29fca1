"""The generative model of a twin: latent severity, organ trajectories, raw daily values,
vital status, discharge, adverse events and extra tables (see :mod:`trialkit.simulate`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trialkit.schema import DAILY_LABELS
from trialkit.simulate.params import ORGANS, TwinParams
from trialkit.spec import Spec

_R, _COAG, _LIVER, _CV, _CNS, _REN = range(6)

# -- small helpers -----------------------------------------------------------------------


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _bernoulli_given_sum(
    rng: np.random.Generator, p: np.ndarray, target: int | None, what: str
) -> np.ndarray:
    """Bernoulli(p) indicators, conditional on their sum being ``target`` (rejection)."""
    if target is None:
        return rng.random(p.size) < p
    if not 0 <= target <= p.size:
        raise ValueError(f"cannot condition {what}: target {target} outside 0..{p.size}")
    for _ in range(200):
        draws = rng.random((500, p.size)) < p
        hit = np.flatnonzero(draws.sum(axis=1) == target)
        if hit.size:
            return draws[hit[0]]
    raise ValueError(
        f"cannot condition {what} on {target} of {p.size}: the model makes this count too "
        f"unlikely (expected {p.sum():.1f}); recalibrate the parameters"
    )


def _trunc_geometric_day(
    rng: np.random.Generator, n: int, first: int, last: int, tau: float
) -> np.ndarray:
    """Days in first..last with weights exp(-(d - first) / tau)."""
    days = np.arange(first, last + 1)
    w = np.exp(-(days - first) / tau)
    cdf = np.cumsum(w) / w.sum()
    return days[np.minimum(np.searchsorted(cdf, rng.random(n)), days.size - 1)]


def _band(
    k: np.ndarray, f: np.ndarray, mild: Sequence[float], severe: Sequence[float], step: float
) -> np.ndarray:
    """A raw value inside SOFA band ``k``, at fraction ``f`` from its mild to its severe end.

    ``mild[k]`` and ``severe[k]`` are the band's closed limits on the ``step`` grid (for
    platelets the mild end is the higher count), so rounding never leaves the band.
    """
    a = np.asarray(mild, float)[k]
    b = np.asarray(severe, float)[k]
    v = np.round((a + f * (b - a)) / step) * step
    return np.clip(v, np.minimum(a, b), np.maximum(a, b))


# -- the generative model ----------------------------------------------------------------


def _generate(p: TwinParams, spec: Spec, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    exp_label, ctl_label = spec.arms
    n1, n2 = p.randomized
    n = n1 + n2
    H = p.horizon
    scored = np.array([o not in set(spec.sofa.get("exclude", ())) for o in ORGANS])

    # Randomization: arm labels in random order over the recruitment period.
    is_exp = rng.permutation(np.r_[np.ones(n1, bool), np.zeros(n2, bool)])
    start, stop = np.datetime64(p.first_date), np.datetime64(p.last_date)
    span = int((stop - start) / np.timedelta64(1, "D"))
    dates = start + np.sort(rng.integers(0, span + 1, n)).astype("timedelta64[D]")
    site_w = 1.0 / np.arange(1, p.n_sites + 1) ** 0.6
    site = rng.choice(p.n_sites, n, p=site_w / site_w.sum()) + 1

    # Exclusions from the analysed population (reasons are synthetic, see PARAMS).
    mitt = np.ones(n, bool)
    reason = np.full(n, "", dtype=object)
    withdrawn = np.zeros(n, bool)
    for ex in p.exclusions:
        if ex.arm not in spec.arms:
            raise ValueError(f"exclusion arm {ex.arm!r} is not one of {spec.arms}")
        pool = np.flatnonzero(mitt & (is_exp == (ex.arm == exp_label)))
        i = rng.choice(pool)
        mitt[i], reason[i], withdrawn[i] = False, ex.reason, ex.withdrawn
    per_protocol = mitt.copy()
    for arm_flag, k in zip((True, False), p.pp_deviations, strict=True):
        pool = np.flatnonzero(mitt & (is_exp == arm_flag))
        per_protocol[rng.choice(pool, size=min(k, pool.size), replace=False)] = False

    # Latent severity and baseline covariates.
    s = rng.standard_normal(n)
    age = np.clip(np.round(66 + 3 * s + 12 * rng.standard_normal(n)), 18, 95)
    sex = np.where(rng.random(n) < 0.62, "M", "F")
    weight = np.clip(
        np.round(np.where(sex == "M", 82, 70) + 15 * rng.standard_normal(n), 1), 40, 180
    )
    lactate = np.round(p.lactate_min + np.exp(0.9 + 0.35 * s + 0.5 * rng.standard_normal(n)), 1)
    lactate = np.maximum(lactate, p.lactate_min + 0.1)
    sources = np.array(["pulmonary", "abdominal", "urinary", "skin/soft tissue", "other"])
    source = sources[rng.choice(5, n, p=[0.40, 0.30, 0.15, 0.07, 0.08])]

    # Vital status (conditioned on the published counts in the analysed population).
    exp_f = is_exp.astype(float)
    p28 = _expit(p.death28_logit + p.death_severity_log_or * s + p.effect_death_log_or * exp_f)
    dead28 = rng.random(n) < p28
    cond = p.condition
    for arm_flag, j in ((True, 0), (False, 1)):
        m = mitt & (is_exp == arm_flag)
        tgt = p.target_deaths_28[j] if cond and p.target_deaths_28 else None
        dead28[m] = _bernoulli_given_sum(rng, p28[m], tgt, f"deaths by day 28 ({arm_flag=})")
    death_day = np.full(n, -1)
    death_day[dead28] = _trunc_geometric_day(
        rng, int(dead28.sum()), 1, min(28, H), p.early_death_tau
    )
    if H > 28:
        plate = _expit(
            p.late_death_logit + p.death_severity_log_or * s + p.effect_death_log_or * exp_f
        )
        late = ~dead28 & (rng.random(n) < plate)
        for arm_flag, j in ((True, 0), (False, 1)):
            m = mitt & (is_exp == arm_flag) & ~dead28
            tgt = None
            if cond and p.target_deaths_horizon and p.target_deaths_28:
                tgt = p.target_deaths_horizon[j] - p.target_deaths_28[j]
            late[m] = _bernoulli_given_sum(rng, plate[m], tgt, f"deaths on days 29-{H}")
        death_day[late] = _trunc_geometric_day(rng, int(late.sum()), 29, H, 20.0)

    # Trajectories and daily values, in blocks of patients, each block with its own random
    # stream (keyed by seed and block number), so that memory stays bounded for large trials.
    discharge = np.zeros(n, int)
    icu_death = np.zeros(n, bool)
    blocks = []
    for b0 in range(0, n, _BLOCK):
        sl = slice(b0, min(b0 + _BLOCK, n))
        brng = np.random.default_rng([seed, 1 + b0 // _BLOCK])
        x, discharge[sl], icu_death[sl] = _trajectories(
            brng, p, s[sl], exp_f[sl], death_day[sl], scored
        )
        end_b = np.where(withdrawn[sl], 0, np.where(icu_death[sl], death_day[sl], discharge[sl]))
        block = _daily_values(brng, x, end_b, p)
        # SOFA-2's columns from a stream of their own: the draws above, and so every column
        # the twins had before, stay as they were.
        srng = np.random.default_rng([seed, 3_000 + b0 // _BLOCK])
        _add_sofa2_values(srng, x, block, weight[sl], death_day[sl], icu_death[sl])
        block["_i"] += b0
        blocks.append(block)
        del x
    daily = pd.concat(blocks, ignore_index=True)

    # Withdrawn consent: no data after day 0, vital status unknown.
    end = np.where(withdrawn, 0, np.where(icu_death, death_day, discharge))
    death_day = np.where(withdrawn, -1, death_day)
    icu_death &= ~withdrawn
    last_contact = np.where(withdrawn, 0, np.where(death_day >= 0, death_day, H))

    patients = pd.DataFrame(
        {
            "patient_id": [f"{p.prefix}-{i + 1:04d}" for i in range(n)],
            "site": [f"S{k:02d}" for k in site],
            "arm": np.where(is_exp, exp_label, ctl_label),
            "randomized": pd.to_datetime(dates).strftime("%Y-%m-%d"),
            "mitt": mitt.astype(int),
            "per_protocol": per_protocol.astype(int),
            "exclusion_reason": reason,
            "age": age.astype(int),
            "sex": sex,
            "weight_kg": weight,
            "lactate_mmol_l": lactate,
            "infection_source": source,
            "death_day": np.where(death_day >= 0, death_day, np.nan),
            "icu_discharge_day": np.where(icu_death | withdrawn, np.nan, discharge),
            "last_contact_day": last_contact,
            "withdrawn": withdrawn.astype(int),
            "withdrawal_reason": np.where(withdrawn, reason, ""),
        }
    )
    for flag in p.extra_flags:  # a spec's own population flags: the analysed population
        patients[flag] = patients["mitt"]
    tm0 = None
    if p.thrombomodulin:
        tm0 = np.round(10.1 + np.exp(1.6 + 0.3 * s + 0.6 * rng.standard_normal(n)), 1)
        patients["thrombomodulin_ng_ml"] = tm0

    # Events never fall after last contact, which is the day of death for those who died.
    events = _events(rng, p, is_exp, mitt, end, last_contact, exp_f, cond)
    tables = {"patients": patients, "daily": daily, "events": events}
    if p.thrombomodulin:
        tables["biomarkers"] = _biomarkers(rng, s, tm0, end)
    if p.qol_days:
        tables["qol"] = _qol(rng, s, death_day, withdrawn, p.qol_days)
    # Extra tables of a spec that is not bundled, each from a stream of its own, so that the
    # bundled twins' draws above stay as they were.
    for k, (name, measures, days) in enumerate(p.repeated):
        trng = np.random.default_rng([seed, 1_000 + k])
        tables[name] = _repeated(trng, s, end, measures, days)
    for k, (name, measures, days) in enumerate(p.visits):
        frame = None
        for j, column in enumerate(measures):  # an EQ-5D-like index per measure
            trng = np.random.default_rng([seed, 2_000 + k, j])
            values = _qol(trng, s, death_day, withdrawn, days).rename(
                columns={"eq5d_index": column}
            )
            frame = values if frame is None else frame.assign(**{column: values[column]})
        if frame is not None:
            tables[name] = frame
    ids = patients["patient_id"].to_numpy()
    for name, frame in tables.items():
        if name != "patients":
            frame["patient_id"] = ids[frame.pop("_i").to_numpy()]
    return tables


_BLOCK = 4096  # patients per block of trajectories (bounds memory, not results' law)


def _trajectories(
    rng: np.random.Generator,
    p: TwinParams,
    s: np.ndarray,
    exp_f: np.ndarray,
    death_day: np.ndarray,
    scored: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent organ values (patients x days 0..horizon x organs), discharge day, ICU death."""
    n, H = s.size, p.horizon
    t = np.arange(H + 1, dtype=float)
    x0 = np.asarray(p.base_mean) + np.outer(s, p.base_load)
    x0 = np.clip(x0 + rng.standard_normal((n, 6)) * np.asarray(p.base_sd), 0.0, 4.99)
    rate = np.exp(
        np.log(p.recovery_rate) - p.recovery_severity * s + p.recovery_sd * rng.standard_normal(n)
    )
    lag = p.recovery_lag * rng.gamma(2.0, 0.5, n)
    res = np.asarray(p.residual)
    decay = np.exp(-rate[:, None] * np.maximum(t[None, :] - lag[:, None], 0.0))
    x = res + (x0 - res)[:, None, :] * decay[:, :, None]
    eta = rng.standard_normal((n, H + 1, 6)) * p.noise_sd
    eta[:, 0, :] = 0.0  # day 0 is the observed baseline x0
    for d in range(1, H + 1):
        eta[:, d, :] += p.noise_rho * eta[:, d - 1, :]
    x += eta
    del eta
    # The effect builds up over the first week (full size from day 7 on).
    shift = p.effect_sofa / max(int(scored.sum()), 1) * np.minimum(t / 7.0, 1.0)
    x += (exp_f[:, None] * shift[None, :])[:, :, None] * scored[None, None, :]
    np.clip(x, 0.0, 4.99, out=x)

    # ICU discharge of patients recovering, with a 0-2 day bed-finding delay.
    sc = np.floor(x).astype(np.int8)
    ready = (
        (np.where(scored, sc, 0).sum(axis=2) <= p.discharge_score)
        & (x[:, :, _R] < p.vent_threshold)
        & (sc[:, :, _CV] < 2)
        & (x[:, :, _REN] < p.rrt_threshold)
    )
    del sc
    ready[:, :2] = False
    first = np.where(ready.any(axis=1), ready.argmax(axis=1), H)
    discharge = np.minimum(first + rng.integers(0, 3, n), H)

    # Deaths: on the ward after discharge for a few, in ICU after deterioration for the rest.
    dies = death_day >= 0
    ward = dies & (discharge < death_day) & (rng.random(n) < p.ward_death_fraction)
    icu_death = dies & ~ward
    window = 1.0 + rng.exponential(p.death_window - 1.0, n)
    ramp = np.clip((t[None, :] - (death_day[:, None] - window[:, None])) / window[:, None], 0, 1)
    ramp[~icu_death] = 0.0
    peak = np.clip(p.death_peak + 0.5 * rng.standard_normal((n, 1, 6)), 0.0, 4.99)
    x += (peak - x) * ramp[:, :, None] ** 1.5
    np.clip(x, 0.0, 4.99, out=x)
    return x, discharge, icu_death


def _daily_values(
    rng: np.random.Generator, x: np.ndarray, end: np.ndarray, p: TwinParams
) -> pd.DataFrame:
    """Raw daily values whose SOFA components are the integer parts of the latent values."""
    T = x.shape[1]
    ii, dd = np.nonzero(np.arange(T)[None, :] <= end[:, None])
    xs = x[ii, dd]  # (rows, 6)
    k = np.floor(xs).astype(int)
    f = xs - k
    m = len(ii)
    u = rng.random((m, 4))

    vent = xs[:, _R] >= p.vent_threshold
    # FiO2 on a 0.05 grid: room air to 0.40 without a ventilator, 0.30 to 1.0 with one.
    fio2_pct = np.where(
        vent,
        30 + np.round((np.clip(xs[:, _R] - 2, 0, 3) / 3 * 70 * (0.6 + 0.4 * u[:, 0])) / 5) * 5,
        np.where(k[:, _R] == 0, 21, 21 + np.round(u[:, 0] * 19 * k[:, _R] / 2)),
    ).astype(int)
    fio2_pct = np.clip(fio2_pct, 21, 100)
    pf_hi = np.array([520, 399, 299, 199, 99])  # PaO2/FiO2 bands of Vincent 1996
    pf_lo = np.array([400, 300, 200, 100, 55])
    ratio = pf_hi[k[:, _R]] - f[:, _R] * (pf_hi - pf_lo)[k[:, _R]]
    # PaO2 integer: strictly inside the band for this FiO2 (100 * PaO2 vs band * FiO2%).
    pmin = -(-pf_lo[k[:, _R]] * fio2_pct // 100) + 1
    pmax = (pf_hi[k[:, _R]] * fio2_pct) // 100
    pmax = np.where(k[:, _R] == 0, pmax, ((pf_hi[k[:, _R]] + 1) * fio2_pct - 1) // 100)
    pao2 = np.clip(np.round(ratio * fio2_pct / 100), pmin, np.maximum(pmin, pmax))

    platelets = _band(k[:, _COAG], f[:, _COAG], [320, 149, 99, 49, 19], [150, 100, 50, 20, 3], 1)
    bili = _band(
        k[:, _LIVER], f[:, _LIVER], [0.3, 1.2, 2.0, 6.0, 12.0], [1.1, 1.9, 5.9, 11.9, 25.0], 0.1
    )
    bili = np.where((dd > 0) & (rng.random(m) < p.p_missing_bilirubin), np.nan, bili)

    kc, fc = k[:, _CV], f[:, _CV]
    map_ = np.where(
        kc == 0,
        70 + np.round(25 * u[:, 1]),
        np.where(kc == 1, 69 - np.round(14 * fc), 62 + np.round(20 * u[:, 1])),
    )
    dopamine = np.where(kc == 2, np.round(2 + 3 * fc, 1), 0.0)
    norepi = np.where(
        kc == 3,
        np.round(0.02 + 0.08 * fc, 2),
        np.where(kc == 4, np.round(0.11 + 1.0 * fc**1.5, 2), 0.0),
    )
    epi = np.where((kc == 4) & (fc > 0.7), np.round(0.05 + 0.2 * u[:, 2], 2), 0.0)
    dobutamine = np.where((kc >= 3) & (u[:, 3] < 0.06), np.round(2.5 + 7.5 * u[:, 2], 1), 0.0)
    vasopressor = (norepi > 0) | (epi > 0) | (dopamine > 0)

    gcs = np.array([15, 14, 12, 9, 5])[k[:, _CNS]] - np.floor(
        f[:, _CNS] * np.array([1, 2, 3, 4, 3])[k[:, _CNS]]
    )

    kr, fr = k[:, _REN], f[:, _REN]
    creat = _band(kr, fr, [0.5, 1.2, 2.0, 3.5, 5.0], [1.19, 1.99, 3.49, 4.99, 9.0], 0.01)
    rrt = xs[:, _REN] >= p.rrt_threshold
    urine = np.where(
        kr < 3,
        600 + np.round(2400 * u[:, 1], -1),
        np.where(kr == 3, 250 + np.round(900 * u[:, 1], -1), np.round(450 * u[:, 1], -1)),
    )
    urine = np.where(rrt, np.round(180 * u[:, 2], -1), urine)

    return pd.DataFrame(
        {
            "_i": ii,
            "day": dd,
            "pao2_mmhg": pao2,
            "fio2": fio2_pct / 100.0,
            "mech_vent": vent.astype(int),
            "platelets_10e9_l": platelets,
            "bilirubin_mg_dl": bili,
            "map_mmhg": map_,
            "norepinephrine_ug_kg_min": norepi,
            "epinephrine_ug_kg_min": epi,
            "dopamine_ug_kg_min": dopamine,
            "dobutamine_ug_kg_min": dobutamine,
            "gcs": gcs,
            "creatinine_mg_dl": creat,
            "urine_ml_24h": urine,
            "rrt": rrt.astype(int),
            "vasopressor": vasopressor.astype(int),
        }
    )


#: Decimals the SOFA-2 columns are drawn (and written) with; the other new columns are whole
#: numbers, flags or labels (``weight_kg`` keeps the patients table's one decimal).
SOFA2_DECIMALS: dict[str, int] = {
    "vasopressin_u_min": 2,
    "phenylephrine_ug_kg_min": 2,
    "milrinone_ug_kg_min": 2,
    "potassium_mmol_l": 1,
    "ph": 2,
}


def _spo2(pao2: np.ndarray) -> np.ndarray:
    """SpO2 (%) of a PaO2 (mmHg): Severinghaus's oxyhaemoglobin dissociation curve."""
    return 100.0 / (1.0 + 23400.0 / (pao2**3 + 150.0 * pao2))


def _add_sofa2_values(
    rng: np.random.Generator,
    x: np.ndarray,
    block: pd.DataFrame,
    weight: np.ndarray,
    death_day: np.ndarray,
    icu_death: np.ndarray,
) -> None:
    """SOFA-2's daily columns for one block of patients, added to ``block`` (in place),
    consistent with the raw values already drawn and the latent organ values ``x``.

    Support, devices and drugs follow a per-patient propensity, so that they persist from
    day to day: HFNC or NIV for some non-intubated hypoxaemic patients, sedation over the
    first days of ventilation, ECMO and mechanical circulatory support for a few of the
    sickest, vasopressin as the second agent beside high-dose norepinephrine, a delirium drug
    for some patients with a mildly impaired GCS, a ceiling of treatment over the last days
    of some ICU deaths. SpO2 follows PaO2 on the dissociation curve; potassium rises and pH
    and bicarbonate fall with renal (and circulatory) failure, corrected on RRT; bicarbonate
    follows pH by Henderson-Hasselbalch at a drawn PaCO2.
    """
    ii, dd = block["_i"].to_numpy(), block["day"].to_numpy()
    xs = x[ii, dd]
    up = rng.random((x.shape[0], 11))[ii]  # per-patient propensities, one row per day
    m = ii.size
    ud = rng.random((m, 2))
    z = rng.standard_normal((m, 4))
    vent = block["mech_vent"].to_numpy() == 1
    xr, xc, xn, xren = xs[:, _R], xs[:, _CV], xs[:, _CNS], xs[:, _REN]

    p_niv = 0.20 * np.clip((xr - 1.5) / 1.5, 0, 1)
    p_hfnc = 0.45 * np.clip((xr - 1.0) / 2.0, 0, 1)
    support = np.where(up[:, 0] < p_niv, "niv", np.where(up[:, 0] < p_niv + p_hfnc, "hfnc", "none"))
    support = np.where(vent, "imv", support)
    ecmo = np.where(vent & (xr >= 4.6) & (up[:, 1] < 0.04), "respiratory", "none")
    ecmo = np.where((xc >= 4.7) & (up[:, 2] < 0.01), "cardiovascular", ecmo)
    mcs = (xc >= 4.4) & (up[:, 3] < 0.04) & (ecmo != "cardiovascular")

    pao2 = block["pao2_mmhg"].to_numpy()
    spo2 = np.clip(np.round(_spo2(pao2) + z[:, 0]), 70, 100)

    ne = block["norepinephrine_ug_kg_min"].to_numpy()
    dobutamine = block["dobutamine_ug_kg_min"].to_numpy()
    vasopressin = np.where((ne >= 0.25) & (up[:, 4] < 0.6), np.where(ne >= 0.5, 0.04, 0.03), 0.0)
    phenylephrine = np.where((ne > 0) & (up[:, 5] < 0.02), np.round(0.5 + 1.5 * ud[:, 0], 2), 0.0)
    milrinone = np.where(
        (ne > 0) & (dobutamine == 0) & (up[:, 6] < 0.015), np.where(ud[:, 1] < 0.5, 0.25, 0.5), 0.0
    )
    other = (ne >= 0.5) & (up[:, 7] < 0.03)

    rrt = block["rrt"].to_numpy() == 1
    kidney = np.maximum(xren - 1.0, 0.0)
    potassium = np.where(rrt, 4.3, 4.0 + 0.45 * kidney) + 0.4 * z[:, 1]
    potassium = np.clip(np.round(potassium, 1), 2.8, 7.5)
    ph = 7.44 - 0.025 * xc - np.where(rrt, 0.01, 0.025) * kidney + 0.04 * z[:, 2]
    ph = np.clip(np.round(ph, 2), 6.9, 7.6)
    paco2 = np.clip(40.0 + 5.0 * z[:, 3], 28.0, 60.0)
    bicarbonate = np.clip(np.round(0.03 * paco2 * 10.0 ** (ph - 6.1)), 4, 45)

    sedation_days = np.floor(-np.log(up[:, 8]) * 4.0)
    sedated = vent & (dd < sedation_days) & (up[:, 9] < 0.8)
    k_cns = np.floor(xn)
    delirium = ~sedated & (k_cns >= 1) & (k_cns <= 2) & (up[:, 10] < 0.25)
    ceiling = icu_death[ii] & (dd >= death_day[ii] - 1) & (up[:, 10] > 0.65)

    # Categorical with the contract's labels, as load_trial returns them.
    block["resp_support"] = pd.Categorical(support, categories=DAILY_LABELS["resp_support"])
    block["ecmo"] = pd.Categorical(ecmo, categories=DAILY_LABELS["ecmo"])
    block["spo2_pct"] = spo2
    block["mech_circ_support"] = mcs.astype(int)
    block["vasopressin_u_min"] = vasopressin
    block["phenylephrine_ug_kg_min"] = phenylephrine
    block["milrinone_ug_kg_min"] = milrinone
    block["other_vasoactive"] = other.astype(int)
    block["potassium_mmol_l"] = potassium
    block["ph"] = ph
    block["bicarbonate_mmol_l"] = bicarbonate
    block["delirium_drug"] = delirium.astype(int)
    block["sedated"] = sedated.astype(int)
    block["weight_kg"] = weight[ii]
    block["treatment_ceiling"] = ceiling.astype(int)


_AE_TERMS = np.array(
    ["hypotension", "headache", "flushing", "nausea", "diarrhoea", "rash", "hypokalaemia"]
)
_SAE_TERMS = np.array(
    [
        "major bleeding",
        "severe hypotension",
        "cardiac arrhythmia",
        "mesenteric ischaemia",
        "acute coronary syndrome",
    ]
)
_RELATED_TERMS = {"hypotension", "headache", "flushing", "major bleeding", "severe hypotension"}


def _events(
    rng: np.random.Generator,
    p: TwinParams,
    is_exp: np.ndarray,
    mitt: np.ndarray,
    end: np.ndarray,
    last_contact: np.ndarray,
    exp_f: np.ndarray,
    cond: bool,
) -> pd.DataFrame:
    n = is_exp.size
    # Non-serious events while in ICU (iloprost: vasodilator effects are commoner).
    lam = p.ae_rate * (end + 1) * np.where(is_exp, 1.5, 1.0)
    count = rng.poisson(lam)
    i_ae = np.repeat(np.arange(n), count)
    d_ae = np.floor(rng.random(i_ae.size) * (end[i_ae] + 1)).astype(int)
    t_ae = _AE_TERMS[rng.integers(0, _AE_TERMS.size, i_ae.size)]

    # One serious event at most per patient, within the trial's SAE window and follow-up.
    lo, hi = p.sae_window
    psae = _expit(np.full(n, p.sae_logit) + p.effect_sae_log_or * exp_f)
    has = rng.random(n) < psae
    for arm_flag, j in ((True, 0), (False, 1)):
        m = mitt & (is_exp == arm_flag)
        tgt = p.target_sae[j] if cond and p.target_sae else None
        has[m] = _bernoulli_given_sum(rng, psae[m], tgt, "patients with a serious event")
    has &= last_contact >= lo
    i_sae = np.flatnonzero(has)
    last = np.minimum(np.minimum(hi, last_contact[i_sae]), p.horizon)
    d_sae = lo + np.floor(rng.random(i_sae.size) * (last - lo + 1)).astype(int)
    t_sae = _SAE_TERMS[rng.integers(0, _SAE_TERMS.size, i_sae.size)]

    ev = pd.DataFrame(
        {
            "_i": np.r_[i_ae, i_sae],
            "day": np.r_[d_ae, d_sae],
            "term": np.r_[t_ae, t_sae],
            "serious": np.r_[np.zeros(i_ae.size, int), np.ones(i_sae.size, int)],
        }
    )
    related_term = ev["term"].isin(_RELATED_TERMS).to_numpy()
    ev["related"] = (
        related_term & is_exp[ev["_i"].to_numpy()] & (rng.random(len(ev)) < 0.6)
    ).astype(int)
    return ev


def _biomarkers(
    rng: np.random.Generator,
    s: np.ndarray,
    tm0: np.ndarray,
    end: np.ndarray,
) -> pd.DataFrame:
    """Thrombomodulin and syndecan-1 on days 0-3 while alive in ICU (daily samples, 72 h)."""
    n = s.size
    ii, dd = np.nonzero(np.arange(4)[None, :] <= np.minimum(end, 3)[:, None])
    tm = tm0[ii] * np.exp(-0.05 * dd + 0.12 * rng.standard_normal(ii.size))
    tm = np.where(dd == 0, tm0[ii], tm)
    sdc_base = np.exp(5.0 + 0.4 * s + 0.5 * rng.standard_normal(n))
    sdc = sdc_base[ii] * np.exp(-0.08 * dd + 0.15 * rng.standard_normal(ii.size))
    return pd.DataFrame(
        {
            "_i": ii,
            "day": dd,
            "thrombomodulin_ng_ml": np.round(tm, 1),
            "syndecan1_ng_ml": np.round(sdc, 1),
        }
    )


def _qol(
    rng: np.random.Generator,
    s: np.ndarray,
    death_day: np.ndarray,
    withdrawn: np.ndarray,
    days: tuple[int, ...],
) -> pd.DataFrame:
    """EQ-5D-5L index for patients alive at each visit (Danish value set range -0.757 to 1)."""
    frames = []
    person = rng.standard_normal(s.size)
    for d in days:
        alive = ~withdrawn & ((death_day < 0) | (death_day > d))
        # Recovery between the visits lifts the index; severity lowers it.
        z = 0.9 + 0.004 * d - 0.25 * s + 0.6 * person + 0.4 * rng.standard_normal(s.size)
        val = np.clip(1.0 - np.exp(-z) * 0.45, -0.757, 1.0)
        idx = np.flatnonzero(alive)
        frames.append(pd.DataFrame({"_i": idx, "day": d, "eq5d_index": np.round(val[idx], 3)}))
    return pd.concat(frames, ignore_index=True)


def _repeated(
    rng: np.random.Generator,
    s: np.ndarray,
    end: np.ndarray,
    measures: Sequence[str],
    days: Sequence[int],
) -> pd.DataFrame:
    """Right-skewed laboratory values on the given days while in ICU: log-normal, higher in
    severe patients, drifting down by 5% a day (a generic repeated measure)."""
    n = s.size
    grid = np.asarray(sorted(days))
    ii, jj = np.nonzero(grid[None, :] <= end[:, None])
    dd = grid[jj]
    out = {"_i": ii, "day": dd}
    for column in measures:
        person = 3.0 + 0.4 * s + 0.5 * rng.standard_normal(n)
        out[column] = np.round(
            np.exp(person[ii] - 0.05 * dd + 0.15 * rng.standard_normal(ii.size)), 1
        )
    return pd.DataFrame(out)
