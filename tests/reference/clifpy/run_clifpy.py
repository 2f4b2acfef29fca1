"""SOFA-2 by clifpy's ``calculate_sofa2_daily`` on trialkit patient-days: the reference values
of ``tests/test_sofa2.py::test_sofa2_matches_clifpy_calculate_sofa2_daily``.

Not run by the test suite (clifpy pins its own pandas and needs DuckDB and Polars): run it in a
throwaway environment, from the repository root::

    python3 -m venv /tmp/clifpy-venv
    /tmp/clifpy-venv/bin/pip install clifpy==2.1.0
    /tmp/clifpy-venv/bin/python tests/reference/clifpy/run_clifpy.py

It writes, beside itself,

* ``input_daily.csv`` -- the trialkit patient-days scored (data-contract columns): every day
  of the bundled I-MICRO twin, the first COMBAT-SHINE patients up to 1,200 more days, both
  with seeded gaps (PaO2 blanked on 15 % of days so that SpO2/FiO2 is used, GCS on 5 % of
  days without sedation, platelets on 5 %, creatinine on 4 %, MAP on 3 % of days without a
  vasoactive drug (doses blanked too: nothing recorded), RRT paused for a day inside some RRT
  runs), then 600 one-day "edge" patients whose every value is drawn from a grid holding each
  SOFA-2 cut point, its neighbours and values between;
* ``clifpy_expected.csv`` -- ``patient_id, day`` and clifpy's six system scores and total.

The daily rows become CLIF 2.1 tables (parquet), one 24-h window per trialkit day starting at
midnight, every measurement strictly inside its window (clifpy's windows include both ends):

==================  =========================================================================
trialkit column     CLIF table (category), time within the day
==================  =========================================================================
weight_kg           vitals ``weight_kg``, 00:15
resp_support, fio2  respiratory_support at 01:00: none -> ``nasal cannula``, hfnc -> ``high
                    flow nc``, niv -> ``nippv``, imv -> ``imv``; ``fio2_set`` = fio2
pao2_mmhg           labs ``po2_arterial``, 02:00
spo2_pct            vitals ``spo2``, 02:00
platelets, bilirubin, creatinine, potassium, ph, bicarbonate
                    labs ``platelet_count, bilirubin_total, creatinine, potassium,
                    ph_arterial, bicarbonate``, 02:00 (mg/dL, mmol/L)
map_mmhg            vitals ``map``, 12:00
gcs                 patient_assessments ``gcs_total``, 14:00
sedated             medication_admin_continuous ``propofol`` start 00:30, stop 23:30 (the GCS
                    at 14:00 falls inside the episode; the next day's lies past its 12-h tail)
delirium_drug       medication_admin_intermittent ``haloperidol`` 2 mg, 10:00
vasoactive doses    medication_admin_continuous start 01:00, stop 23:00 (22 h >= 1 h), and a
                    zero-dose stop at 00:45 of every day of a patient who ever gets the drug,
                    so that the first event after a window (which clifpy reads to measure an
                    infusion's length) never carries the next day's dose into it; other_vasoactive
                    -> ``angiotensin`` 20 ng/kg/min; vasopressin in u/min, the others mcg/kg/min
rrt                 crrt_therapy, 03:00
ecmo                ecmo_mcs 04:00: respiratory -> ``ecmo``/``vv``, cardiovascular ->
                    ``ecmo``/``va``; mech_circ_support -> ``iabp``
urine_ml_24h        output ``urine`` at 23:30, the day's volume (one measurement a day: clifpy's
                    6-, 12- and 24-h trailing rates are then the day's mean rate), and a 0-mL
                    measurement at 23:30 the evening before day 0 (so that day 0's measurement
                    spans 24 h of collection, as clifpy counts it)
==================  =========================================================================

treatment_ceiling has no CLIF counterpart (clifpy: "cannot operationalize"), so trialkit is
compared with ``ceiling=False`` and the options that match clifpy's readings (see the test).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SEED = 20260512
T0 = pd.Timestamp("2024-01-01", tz="UTC")
HOUR = pd.Timedelta(hours=1)

SYSTEMS = {  # clifpy's name -> trialkit's
    "sofa2_resp": "sofa_resp",
    "sofa2_hemo": "sofa_coag",
    "sofa2_liver": "sofa_liver",
    "sofa2_cv": "sofa_cardio",
    "sofa2_brain": "sofa_cns",
    "sofa2_kidney": "sofa_renal",
    "sofa2_total": "sofa_total",
}
DEVICE = {"none": "nasal cannula", "hfnc": "high flow nc", "niv": "nippv", "imv": "imv"}
DRUGS = {  # trialkit column -> (CLIF med_category, unit)
    "norepinephrine_ug_kg_min": ("norepinephrine", "mcg/kg/min"),
    "epinephrine_ug_kg_min": ("epinephrine", "mcg/kg/min"),
    "dopamine_ug_kg_min": ("dopamine", "mcg/kg/min"),
    "dobutamine_ug_kg_min": ("dobutamine", "mcg/kg/min"),
    "vasopressin_u_min": ("vasopressin", "u/min"),
    "phenylephrine_ug_kg_min": ("phenylephrine", "mcg/kg/min"),
    "milrinone_ug_kg_min": ("milrinone", "mcg/kg/min"),
}
LABS = {
    "platelets_10e9_l": "platelet_count",
    "bilirubin_mg_dl": "bilirubin_total",
    "creatinine_mg_dl": "creatinine",
    "potassium_mmol_l": "potassium",
    "ph": "ph_arterial",
    "bicarbonate_mmol_l": "bicarbonate",
    "pao2_mmhg": "po2_arterial",
}


def twin_days(rng: np.random.Generator) -> pd.DataFrame:
    """The bundled twins' patient-days, with seeded gaps (see the module docstring)."""
    imicro = pd.read_csv(ROOT / "data" / "imicro" / "daily.csv")
    combat = pd.read_csv(ROOT / "data" / "combat_shine" / "daily.csv")
    first = combat["patient_id"].drop_duplicates()
    size = combat.groupby("patient_id").size().reindex(first)
    keep = size.index[size.cumsum() <= 1200]
    d = pd.concat([imicro, combat[combat["patient_id"].isin(keep)]], ignore_index=True)
    n = len(d)
    d.loc[rng.random(n) < 0.15, "pao2_mmhg"] = np.nan
    d.loc[(rng.random(n) < 0.05) & (d["sedated"] == 0), "gcs"] = np.nan
    d.loc[rng.random(n) < 0.05, "platelets_10e9_l"] = np.nan
    d.loc[rng.random(n) < 0.04, "creatinine_mg_dl"] = np.nan
    doses = [*DRUGS]
    no_drug = (d[doses].fillna(0) == 0).all(axis=1) & (d["other_vasoactive"] == 0)
    blank = no_drug & (rng.random(n) < 0.03)
    d.loc[blank, ["map_mmhg", *doses]] = np.nan
    # A day off inside an RRT run: intermittent RRT (the day before and after on RRT).
    same = d["patient_id"].eq(d["patient_id"].shift()) & d["patient_id"].eq(
        d["patient_id"].shift(-1)
    )
    inner = same & (d["rrt"].shift() == 1) & (d["rrt"].shift(-1) == 1) & (d["rrt"] == 1)
    d.loc[inner & (rng.random(n) < 0.3), "rrt"] = 0
    return d


def edge_days(rng: np.random.Generator, n: int = 600) -> pd.DataFrame:
    """One-day patients whose values are drawn from grids holding every SOFA-2 cut point."""

    def grid(*values: float) -> np.ndarray:
        return rng.choice(np.asarray(values, dtype=float), n)

    fio2 = grid(0.21, 0.32, 0.4, 0.5, 1.0)
    pf = grid(76, 75, 74, 151, 150, 149, 226, 225, 224, 301, 300, 299, 400)
    sf = grid(121, 120, 119, 201, 200, 199, 251, 250, 249, 301, 300, 299)
    pao2 = np.round(pf * fio2, 1)
    spo2 = np.round(sf * fio2, 1)
    pao2 = np.where((pao2 < 20) | (pao2 > 800), np.nan, pao2)
    no_pao2 = rng.random(n) < 0.4
    spo2 = np.where((spo2 < 30) | (spo2 > 100), 97.0, spo2)
    spo2 = np.where(rng.random(n) < 0.1, 98.0, spo2)
    ne = grid(0, 0, 0.05, 0.1, 0.19, 0.2, 0.21, 0.3, 0.39, 0.4, 0.41, 0.6)
    epi = grid(0, 0, 0, 0.1, 0.2)
    dopa = np.where(rng.random(n) < 0.3, grid(2, 19.5, 20, 20.5, 39.5, 40, 40.5), 0.0)
    agent = rng.random(n) < 0.2
    vaso = np.where(agent & (rng.random(n) < 0.5), 0.03, 0.0)
    dobu = np.where(agent & (vaso == 0), 5.0, 0.0)
    weight = grid(50, 80, 100)
    rate = grid(0.29, 0.3, 0.31, 0.49, 0.5, 0.51, 1.0, 0.0)
    sedated = (rng.random(n) < 0.15).astype(int)
    support = rng.choice(np.array(["none", "hfnc", "niv", "imv"]), n)
    ecmo = np.where(rng.random(n) < 0.04, "respiratory", "none")
    ecmo = np.where(rng.random(n) < 0.03, "cardiovascular", ecmo)
    return pd.DataFrame(
        {
            "patient_id": [f"EDGE-{i + 1:04d}" for i in range(n)],
            "day": 0,
            "pao2_mmhg": np.where(no_pao2, np.nan, pao2),
            "fio2": fio2,
            "mech_vent": (support == "imv").astype(int),
            "platelets_10e9_l": grid(151, 150, 149, 101, 100, 99, 81, 80, 79, 51, 50, 49, 20),
            "bilirubin_mg_dl": grid(1.1, 1.2, 1.3, 2.9, 3.0, 3.1, 5.9, 6.0, 6.1, 11.9, 12, 12.1),
            "map_mmhg": grid(71, 70, 69, 60, 55, 45, 39),
            "norepinephrine_ug_kg_min": ne,
            "epinephrine_ug_kg_min": epi,
            "dopamine_ug_kg_min": dopa,
            "dobutamine_ug_kg_min": dobu,
            "gcs": grid(15, 14, 13, 12, 9, 8, 6, 5, 3),
            "creatinine_mg_dl": grid(1.19, 1.2, 1.21, 1.99, 2.0, 2.01, 3.49, 3.5, 3.51, 6.0),
            "urine_ml_24h": np.round(rate * weight * 24, 1),
            "rrt": (rng.random(n) < 0.05).astype(int),
            "vasopressor": ((ne + epi + dopa + vaso) > 0).astype(int),
            "resp_support": support,
            "ecmo": ecmo,
            "spo2_pct": spo2,
            "mech_circ_support": (rng.random(n) < 0.03).astype(int),
            "vasopressin_u_min": vaso,
            "phenylephrine_ug_kg_min": 0.0,
            "milrinone_ug_kg_min": 0.0,
            "other_vasoactive": 0,
            "potassium_mmol_l": grid(4.0, 5.9, 6.0, 6.1),
            "ph": grid(7.4, 7.21, 7.2, 7.19),
            "bicarbonate_mmol_l": grid(24, 13, 12, 11),
            "delirium_drug": ((rng.random(n) < 0.2) & (sedated == 0)).astype(int),
            "sedated": sedated,
            "weight_kg": weight,
            "treatment_ceiling": 0,
        }
    )


def clif_tables(d: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The patient-days as CLIF tables (one 24-h window per day, from midnight)."""
    start = T0 + d["day"].to_numpy() * 24 * HOUR
    hid = d["patient_id"].astype(str).to_numpy()

    def at(hours: float, mask: np.ndarray | None = None) -> tuple[np.ndarray, pd.DatetimeIndex]:
        m = np.ones(len(d), bool) if mask is None else mask
        return hid[m], pd.DatetimeIndex(start[m]) + hours * HOUR

    def long(table: str, cat_col: str, time_col: str, value_col: str, items, hours) -> None:
        for col, cat in items.items():
            x = d[col].to_numpy(dtype=float)
            m = ~np.isnan(x)
            ids, t = at(hours, m)
            out[table].append(
                pd.DataFrame(
                    {"hospitalization_id": ids, time_col: t, cat_col: cat, value_col: x[m]}
                )
            )

    out: dict[str, list[pd.DataFrame]] = {
        k: []
        for k in (
            "vitals",
            "labs",
            "patient_assessments",
            "respiratory_support",
            "medication_admin_continuous",
            "medication_admin_intermittent",
            "crrt_therapy",
            "ecmo_mcs",
            "output",
        )
    }
    long(
        "vitals", "vital_category", "recorded_dttm", "vital_value", {"weight_kg": "weight_kg"}, 0.25
    )
    long("vitals", "vital_category", "recorded_dttm", "vital_value", {"spo2_pct": "spo2"}, 2)
    long("vitals", "vital_category", "recorded_dttm", "vital_value", {"map_mmhg": "map"}, 12)
    long("labs", "lab_category", "lab_collect_dttm", "lab_value_numeric", LABS, 2)
    long(
        "patient_assessments",
        "assessment_category",
        "recorded_dttm",
        "numerical_value",
        {"gcs": "gcs_total"},
        14,
    )
    ids, t = at(1)
    out["respiratory_support"].append(
        pd.DataFrame(
            {
                "hospitalization_id": ids,
                "recorded_dttm": t,
                "device_category": d["resp_support"].map(DEVICE).to_numpy(),
                "mode_category": pd.Series([None] * len(ids), dtype="string").array,
                "fio2_set": d["fio2"].to_numpy(dtype=float),
                "lpm_set": np.nan,
            }
        )
    )

    def infusion(mask, category, unit, dose, on=1.0, off=23.0) -> None:
        for hours, value, action in ((on, dose, "start"), (off, 0.0, "stop")):
            ids, t = at(hours, mask)
            v = value[mask] if isinstance(value, np.ndarray) else value
            out["medication_admin_continuous"].append(
                pd.DataFrame(
                    {
                        "hospitalization_id": ids,
                        "admin_dttm": t,
                        "med_category": category,
                        "med_dose": v,
                        "med_dose_unit": unit,
                        "mar_action_category": action,
                    }
                )
            )

    for col, (category, unit) in DRUGS.items():
        dose = d[col].fillna(0).to_numpy(dtype=float)
        ever = d.groupby("patient_id")[col].transform(lambda s: (s.fillna(0) > 0).any())
        ids, t = at(0.75, ever.to_numpy())
        out["medication_admin_continuous"].append(
            pd.DataFrame(
                {
                    "hospitalization_id": ids,
                    "admin_dttm": t,
                    "med_category": category,
                    "med_dose": 0.0,
                    "med_dose_unit": unit,
                    "mar_action_category": "stop",
                }
            )
        )
        infusion(dose > 0, category, unit, dose)
    other = d["other_vasoactive"].to_numpy() == 1
    infusion(other, "angiotensin", "ng/kg/min", 20.0)
    infusion(d["sedated"].to_numpy() == 1, "propofol", "mcg/kg/min", 50.0, on=0.5, off=23.5)
    ids, t = at(10, d["delirium_drug"].to_numpy() == 1)
    out["medication_admin_intermittent"].append(
        pd.DataFrame(
            {
                "hospitalization_id": ids,
                "admin_dttm": t,
                "med_category": "haloperidol",
                "med_dose": 2.0,
                "mar_action_category": "given",
            }
        )
    )
    ids, t = at(3, d["rrt"].to_numpy() == 1)
    out["crrt_therapy"].append(pd.DataFrame({"hospitalization_id": ids, "recorded_dttm": t}))
    for label, config in (("respiratory", "vv"), ("cardiovascular", "va")):
        ids, t = at(4, d["ecmo"].to_numpy() == label)
        out["ecmo_mcs"].append(
            pd.DataFrame(
                {
                    "hospitalization_id": ids,
                    "recorded_dttm": t,
                    "mcs_group": "ecmo",
                    "ecmo_configuration_category": config,
                }
            )
        )
    ids, t = at(4, d["mech_circ_support"].to_numpy() == 1)
    out["ecmo_mcs"].append(
        pd.DataFrame(
            {
                "hospitalization_id": ids,
                "recorded_dttm": t,
                "mcs_group": "iabp",
                "ecmo_configuration_category": None,
            }
        )
    )
    urine = d["urine_ml_24h"].to_numpy(dtype=float)
    m = ~np.isnan(urine)
    ids, t = at(23.5, m)
    first = (d["day"] == 0).to_numpy()
    ids0, t0 = at(-0.5, first)
    out["output"].append(
        pd.DataFrame(
            {
                "hospitalization_id": np.r_[ids, ids0],
                "recorded_dttm": t.append(t0),
                "output_volume": np.r_[urine[m], np.zeros(first.sum())],
                "output_group": "urine",
            }
        )
    )
    tables = {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
    tables["ecmo_mcs"] = tables["ecmo_mcs"].astype({"ecmo_configuration_category": "string"})
    return tables


def main() -> None:
    from clifpy import calculate_sofa2_daily

    rng = np.random.default_rng(SEED)
    daily = pd.concat([twin_days(rng), edge_days(rng)], ignore_index=True)
    daily.to_csv(HERE / "input_daily.csv", index=False, lineterminator="\n")
    cohort = (
        daily.groupby("patient_id", sort=False)["day"]
        .max()
        .rename("last")
        .reset_index()
        .rename(columns={"patient_id": "hospitalization_id"})
    )
    cohort["start_dttm"] = T0
    cohort["end_dttm"] = T0 + (cohort.pop("last") + 1) * 24 * HOUR
    cohort = cohort.astype({c: "datetime64[us, UTC]" for c in ("start_dttm", "end_dttm")})
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in clif_tables(daily).items():
            # Microsecond timestamps, as CLIF files hold them (DuckDB cannot subtract a
            # nanosecond timestamp from a microsecond one).
            times = [c for c in frame.columns if c.endswith("_dttm")]
            frame = frame.astype({c: "datetime64[us, UTC]" for c in times})
            frame.to_parquet(Path(tmp) / f"clif_{name}.parquet", index=False)
        config = Path(tmp) / "config.json"
        config.write_text(
            json.dumps({"data_directory": tmp, "filetype": "parquet", "timezone": "UTC"})
        )
        res = calculate_sofa2_daily(cohort, clif_config_path=str(config))
    res = res.rename(columns={"hospitalization_id": "patient_id", **SYSTEMS})
    res["day"] = res["nth_day"].astype(int) - 1
    res = res[["patient_id", "day", *SYSTEMS.values()]].astype({c: int for c in SYSTEMS.values()})
    res = res.sort_values(["patient_id", "day"]).reset_index(drop=True)
    res.to_csv(HERE / "clifpy_expected.csv", index=False, lineterminator="\n")
    print(f"{len(res)} patient-days of {res['patient_id'].nunique()} patients scored by clifpy")


if __name__ == "__main__":
    main()
