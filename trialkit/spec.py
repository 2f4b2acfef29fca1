"""The statistical analysis plan as data: read and check ``trialkit/specs/<trial>.toml``.

A new trial is a new spec file and a new data folder, not new code. The spec names the
arms, the analysis populations, the SOFA variant, every endpoint with its rule and options,
the design inputs and the assumptions that the publications leave open.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "specs"


class SpecError(ValueError):
    """A spec file is missing, unreadable or incomplete."""


@dataclass(frozen=True)
class Spec:
    """A trial's analysis plan.

    Attributes
    ----------
    id, name, title : str
        Short id (the data folder's name), display name and full title.
    experimental, control : str
        Arm labels as written in ``patients.csv``. Arm 1 (experimental) is compared with
        arm 2 (control) in every estimate.
    populations : dict
        Analysis populations: name -> flag column of ``patients.csv``.
    sofa : dict
        Keyword arguments for :func:`trialkit.sofa.sofa` (``exclude``, ``missing``).
    endpoints : dict
        Endpoint id -> options; ``rule`` names a function of :mod:`trialkit.endpoints`,
        ``label`` is for tables, the other keys are passed to the rule.
    tables : dict
        Extra tables this trial brings: name -> file name in the data folder.
    design : dict
        Design inputs (sample size, interim), free-form.
    assumptions : list of dict
        ``{"id", "text"}`` for every choice the sources do not publish.
    raw : dict
        The whole parsed TOML.
    """

    id: str
    name: str
    title: str
    experimental: str
    control: str
    populations: dict[str, str]
    sofa: dict[str, Any]
    endpoints: dict[str, dict[str, Any]]
    tables: dict[str, str] = field(default_factory=dict)
    design: dict[str, Any] = field(default_factory=dict)
    assumptions: list[dict[str, str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def arms(self) -> tuple[str, str]:
        """(experimental, control): the only arm labels ``patients.csv`` may use."""
        return (self.experimental, self.control)

    @property
    def followup_days(self) -> int:
        return int(self.raw["trial"].get("followup_days", 28))

    def endpoint_options(self, endpoint_id: str) -> dict[str, Any]:
        """Keyword arguments for the endpoint's rule (without ``rule`` and ``label``)."""
        opts = dict(self.endpoints[endpoint_id])
        opts.pop("rule", None)
        opts.pop("label", None)
        return opts

    def with_options(self, endpoint_id: str, **options: Any) -> Spec:
        """A copy of the spec with some options of one endpoint changed (a sensitivity run)."""
        if endpoint_id not in self.endpoints:
            raise SpecError(f"spec {self.id!r} has no endpoint {endpoint_id!r}")
        endpoints = {k: dict(v) for k, v in self.endpoints.items()}
        endpoints[endpoint_id].update(options)
        return Spec(**{**self.__dict__, "endpoints": endpoints})


def available() -> list[str]:
    """The ids of the specs shipped with trialkit."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))


def load_spec(trial: str | Path | Mapping[str, Any]) -> Spec:
    """Read a spec by trial id (``"imicro"``), by path to a TOML file, or from a dict."""
    if isinstance(trial, Mapping):
        raw = dict(trial)
        origin = "<dict>"
    else:
        path = Path(trial)
        if path.suffix != ".toml":
            path = SPEC_DIR / f"{trial}.toml"
        if not path.exists():
            raise SpecError(
                f"no spec for trial {str(trial)!r}: looked for {path}; "
                f"shipped specs are {', '.join(available())}"
            )
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path}: not valid TOML: {exc}") from exc
        origin = str(path)
    try:
        t = raw["trial"]
        spec = Spec(
            id=t["id"],
            name=t.get("name", t["id"]),
            title=t.get("title", ""),
            experimental=t["experimental"],
            control=t["control"],
            populations=dict(raw.get("populations", {})),
            sofa=dict(raw.get("sofa", {})),
            endpoints={k: dict(v) for k, v in raw.get("endpoints", {}).items()},
            tables=dict(raw.get("tables", {})),
            design=dict(raw.get("design", {})),
            assumptions=list(raw.get("assumptions", [])),
            raw=raw,
        )
    except KeyError as exc:
        raise SpecError(f"{origin}: missing required key {exc.args[0]!r}") from exc
    if spec.experimental == spec.control:
        raise SpecError(f"{origin}: experimental and control arms have the same label")
    for eid, opts in spec.endpoints.items():
        if "rule" not in opts:
            raise SpecError(f"{origin}: endpoint {eid!r} has no 'rule'")
    return spec
