"""The statistical analysis plan as data: read and check a trial's spec (a TOML file).

A new trial is a new spec file and a new data folder, not new code. The spec names the
arms, the analysis populations, the SOFA variant, every endpoint with its rule and options,
the design inputs, the assumptions that the publications leave open and the commentary that
belongs to this trial alone. Everything a notebook says about a trial comes from here or
from the trial's ``published.toml``.

The spec is checked against a schema of its own (:func:`check_spec`): types, required keys,
allowed values, and unknown keys refused with a did-you-mean, so that a typo such as
``folowup_days`` is an error instead of a silently ignored key. Every problem is collected
and reported at once, each naming the spec file and the key.
"""

from __future__ import annotations

import difflib
import inspect
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "specs"

#: What an assumption or a piece of commentary may concern besides an endpoint id or an extra
#: table: the analysis population, the SOFA score, the design (sample size) and its interim,
#: the sensitivity analyses of a rule, the data themselves.
TOPICS = (
    "population", "sofa", "design", "interim", "sensitivity", "estimands", "bayes",
    "subgroups", "data",
)  # fmt: skip

#: Keys of an ``[endpoints.<id>]`` table that describe the endpoint; every other key is an
#: option of its rule (a keyword of the function in :mod:`trialkit.endpoints`).
ENDPOINT_META = ("rule", "label", "population", "analysis", "covariates", "factors", "mcid")

#: How an endpoint is compared between the arms, when the spec says (``analysis = ...``).
ANALYSES = ("hodges_lehmann", "adjusted_mean_difference")

#: Kinds of extra table a notebook knows how to analyse (``[tables.<name>] kind = ...``).
TABLE_KINDS = ("repeated", "quality_of_life")

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TRIAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class SpecError(ValueError):
    """A spec file is missing, unreadable or breaks the spec schema.

    ``problems`` holds every problem found; each names the spec file and the key.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Spec:
    """A trial's analysis plan.

    Attributes
    ----------
    id, name, title : str
        Short id (the bundled data folder's name), display name and full title.
    experimental, control : str
        Arm labels as written in ``patients.csv``. Arm 1 (experimental) is compared with
        arm 2 (control) in every estimate.
    populations : dict
        Analysis populations: name -> flag column of ``patients.csv``; ``primary`` is
        required.
    sofa : dict
        Keyword arguments for :func:`trialkit.sofa.sofa` (``version``, ``exclude``,
        ``missing`` and SOFA-2's options, :data:`trialkit.sofa.SOFA2_OPTIONS`).
    endpoints : dict
        Endpoint id -> its table: ``rule`` names a function of :mod:`trialkit.endpoints`,
        ``label`` is for tables and pages, ``population`` the population it is analysed in,
        ``analysis`` (with ``covariates``, ``factors``) how it is compared; every other key
        is an option of the rule.
    tables : dict
        Extra tables this trial brings: name -> file name in the data folder.
    design : dict
        Design inputs (sample size, interim).
    wins : dict
        The hierarchy of a win-statistics analysis (``levels``, as
        :func:`trialkit.stats.win_statistics` takes them) and its ``strata``.
    bayes : dict
        Options of the Bayesian reading (``tail``, ``vague_sd``); each endpoint's ``mcid``
        sits in its own table.
    subgroups : list of dict
        The prespecified subgroups: ``{"column", "cut", "label"}`` each (a column of the
        analysis set; a numeric one split at ``cut``).
    assumptions : list of dict
        ``{"id", "text", "concerns"}`` for every choice the sources do not publish;
        ``concerns`` lists the endpoint ids, tables or topics (:data:`TOPICS`) it bears on.
    commentary : list of dict
        ``{"concerns", "text", "title"}``: what this trial's report alone should say
        (a finding about its publication, say), shown beside the analyses it concerns.
    primary : str or None
        The primary endpoint's id.
    table_options : dict
        Extra table name -> its options (``kind``, ``label``, ``measures``, ...).
    raw : dict
        The whole parsed TOML.
    path : Path or None
        The spec file, when read from one.
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
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    commentary: list[dict[str, Any]] = field(default_factory=list)
    wins: dict[str, Any] = field(default_factory=dict)
    bayes: dict[str, Any] = field(default_factory=dict)
    subgroups: list[dict[str, Any]] = field(default_factory=list)
    primary: str | None = None
    table_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    path: Path | None = field(default=None, repr=False)

    @property
    def arms(self) -> tuple[str, str]:
        """(experimental, control): the only arm labels ``patients.csv`` may use."""
        return (self.experimental, self.control)

    @property
    def followup_days(self) -> int:
        """Days of follow-up after randomization (``[trial] followup_days``, default 28)."""
        return int(self.raw.get("trial", {}).get("followup_days", 28))

    @property
    def enrolment(self) -> dict[str, int]:
        """Patients screened and eligible, where the spec gives them (CONSORT's enrolment)."""
        t = self.raw.get("trial", {})
        return {k: int(t[k]) for k in ("screened", "eligible") if k in t}

    @property
    def sofa_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`trialkit.sofa.sofa` (``exclude`` as a tuple)."""
        return {**self.sofa, "exclude": tuple(self.sofa.get("exclude", ()))}

    @property
    def sofa_version(self) -> str:
        """The SOFA version the spec scores with (``"sofa1"``, Vincent 1996, by default)."""
        return str(self.sofa.get("version", "sofa1"))

    @property
    def score_max(self) -> int:
        """The highest total the spec's SOFA variant can reach (4 per scored system)."""
        return 4 * (6 - len(set(self.sofa.get("exclude", ()))))

    @property
    def score_name(self) -> str:
        """``"SOFA"`` or ``"SOFA-2"``, ``"modified ..."`` when systems are left out."""
        name = "SOFA-2" if self.sofa_version == "sofa2" else "SOFA"
        return f"modified {name}" if self.sofa.get("exclude") else name

    def endpoint_options(self, endpoint_id: str) -> dict[str, Any]:
        """Keyword arguments for the endpoint's rule (without the keys of ENDPOINT_META)."""
        return {k: v for k, v in self.endpoints[endpoint_id].items() if k not in ENDPOINT_META}

    def label(self, endpoint_id: str) -> str:
        """The endpoint's label (its id when the spec gives none)."""
        return str(self.endpoints[endpoint_id].get("label", endpoint_id))

    def rule(self, endpoint_id: str) -> str:
        return str(self.endpoints[endpoint_id]["rule"])

    def with_rule(self, *rules: str) -> list[str]:
        """The ids of the endpoints whose rule is one of ``rules``, primary first, then in
        spec order."""
        ids = [e for e, o in self.endpoints.items() if o.get("rule") in rules]
        return sorted(ids, key=lambda e: e != self.primary)

    def population_of(self, endpoint_id: str) -> str:
        """The population an endpoint is analysed in (``population``, default primary)."""
        return str(self.endpoints[endpoint_id].get("population", "primary"))

    def analysis_of(self, endpoint_id: str) -> str:
        """How an endpoint is compared (``analysis``, default Hodges-Lehmann)."""
        return str(self.endpoints[endpoint_id].get("analysis", "hodges_lehmann"))

    def is_primary(self, endpoint_id: str) -> bool:
        return endpoint_id == self.primary

    def tables_of_kind(self, kind: str) -> list[str]:
        """The extra tables of a kind (:data:`TABLE_KINDS`), in spec order."""
        return [n for n, o in self.table_options.items() if o.get("kind") == kind]

    def concerning(self, section: str, *concerns: str) -> list[dict[str, Any]]:
        """The assumptions (``section="assumptions"``) or commentary that concern any of
        ``concerns`` (endpoint ids, tables or topics), in spec order."""
        wanted = set(concerns)
        return [a for a in getattr(self, section) if wanted & set(a.get("concerns", ()))]

    def with_options(self, endpoint_id: str, **options: Any) -> Spec:
        """A copy of the spec with some options of one endpoint changed (a sensitivity run)."""
        if endpoint_id not in self.endpoints:
            raise SpecError(f"spec {self.id!r} has no endpoint {endpoint_id!r}")
        endpoints = {k: dict(v) for k, v in self.endpoints.items()}
        endpoints[endpoint_id].update(options)
        return replace(self, endpoints=endpoints)


    def with_sofa(self, **options: Any) -> Spec:
        """A copy of the spec with some ``[sofa]`` options changed (``version="sofa2"``: the
        trial scored with SOFA-2); the options are checked as the spec's own are."""
        problems: list[str] = []
        _keys(options, _sofa_checks(), f"spec {self.id!r}, [sofa]", problems)
        if problems:
            raise SpecError(problems)
        return replace(self, sofa={**self.sofa, **options})


def available() -> list[str]:
    """The ids of the specs shipped with trialkit."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))


# --- reading --------------------------------------------------------------------------------


def _spec_path(trial: str | Path) -> Path:
    """A spec file given by path, or the shipped spec of a trial id."""
    path = Path(trial)
    if path.suffix == ".toml" or path.exists() or len(path.parts) > 1:
        return path
    shipped = SPEC_DIR / f"{trial}.toml"
    if not shipped.exists():
        hint = difflib.get_close_matches(str(trial), available(), n=1)
        raise SpecError(
            f"no spec for trial {str(trial)!r}: not a shipped spec id "
            f"({', '.join(available())}) and no such file"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
        )
    return shipped


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SpecError(f"spec file {path} does not exist")
    if path.is_dir():
        raise SpecError(f"{path}: is a folder, not a spec file (give the .toml file)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the spec as UTF-8"
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from exc


def load_spec(trial: str | Path | Mapping[str, Any]) -> Spec:
    """Read and check a spec: by trial id (``"imicro"``), by path to a TOML file, or a dict.

    Raises
    ------
    SpecError
        The file cannot be found or read, is not UTF-8 TOML, or breaks the schema; the
        message lists every problem with the spec file and the key.

    Examples
    --------
    >>> from trialkit.spec import load_spec
    >>> spec = load_spec("imicro")
    >>> spec.arms, spec.primary, spec.endpoints["delta_sofa"]["day"]
    (('iloprost', 'placebo'), 'delta_sofa', 7)
    >>> try:
    ...     load_spec({"trial": {"id": "x", "experimental": "a", "control": "b",
    ...                "folowup_days": 90}})
    ... except SpecError as exc:
    ...     print(exc.problems[0])
    <dict>: [trial] folowup_days: unknown key; did you mean 'followup_days'?
    """
    if isinstance(trial, Mapping):
        raw, origin, path = dict(trial), "<dict>", None
    else:
        path = _spec_path(trial)
        raw, origin = _read_toml(path), str(path)
    problems = check_spec(raw, origin)
    if problems:
        raise SpecError(problems)
    t = raw["trial"]
    tables, table_options = {}, {}
    for name, value in raw.get("tables", {}).items():
        opts = {"file": value} if isinstance(value, str) else dict(value)
        tables[name], table_options[name] = opts["file"], opts
    return Spec(
        id=t["id"],
        name=t.get("name", t["id"]),
        title=t.get("title", ""),
        experimental=t["experimental"],
        control=t["control"],
        populations=dict(raw["populations"]),
        sofa=dict(raw.get("sofa", {})),
        endpoints={k: dict(v) for k, v in raw["endpoints"].items()},
        tables=tables,
        design=dict(raw.get("design", {})),
        assumptions=[dict(a) for a in raw.get("assumptions", [])],
        commentary=[dict(c) for c in raw.get("commentary", [])],
        wins=dict(raw.get("wins", {})),
        bayes=dict(raw.get("bayes", {})),
        subgroups=[dict(g) for g in raw.get("subgroups", [])],
        primary=t.get("primary"),
        table_options=table_options,
        raw=raw,
        path=path,
    )


# --- the schema -----------------------------------------------------------------------------
# A type is a function value -> error text ("" when the value is fine); the schema of a
# section maps its keys to (type, required).

Check = Callable[[Any], str]


def _text(v: Any) -> str:
    return "" if isinstance(v, str) else f"must be text, got {_shown(v)}"


def _nonempty(v: Any) -> str:
    return _text(v) or ("" if v.strip() else "must not be empty")


def _integer(lo: int | None = None) -> Check:
    def check(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, int):
            return f"must be a whole number, got {_shown(v)}"
        return "" if lo is None or v >= lo else f"must be at least {lo}, got {v}"

    return check


def _number(lo: float | None = None, hi: float | None = None, open_: bool = False) -> Check:
    def check(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return f"must be a number, got {_shown(v)}"
        if (lo is not None and (v <= lo if open_ else v < lo)) or (
            hi is not None and (v >= hi if open_ else v > hi)
        ):
            sign = "<" if open_ else "<="
            return f"must be {lo} {sign} value {sign} {hi}, got {v}"
        return ""

    return check


def _boolean(v: Any) -> str:
    return "" if isinstance(v, bool) else f"must be true or false, got {_shown(v)}"


def _one_of(choices: Iterable[str]) -> Check:
    choices = tuple(choices)

    def check(v: Any) -> str:
        if not isinstance(v, str):
            return f"must be one of {_listed(choices)}, got {_shown(v)}"
        if v in choices:
            return ""
        hint = difflib.get_close_matches(v, choices, n=1)
        return f"must be one of {_listed(choices)}, got {v!r}" + (
            f"; did you mean {hint[0]!r}?" if hint else ""
        )

    return check


def _list_of(item: Check, length: int | None = None) -> Check:
    def check(v: Any) -> str:
        if not isinstance(v, list):
            return f"must be a list, got {_shown(v)}"
        if length is not None and len(v) != length:
            return f"must be a list of {length} values, got {len(v)}"
        bad = [f"item {i + 1} {m}" for i, x in enumerate(v) if (m := item(x))]
        return "; ".join(bad)

    return check


def _window(v: Any) -> str:
    err = _list_of(_integer(0), 2)(v)
    if err:
        return err
    return "" if v[0] <= v[1] else f"must be [first, last] with first <= last, got {v}"


def _shown(v: Any) -> str:
    kind = {dict: "a table", list: "a list", bool: "a boolean", str: "text"}.get(type(v))
    return kind if kind and not isinstance(v, str) else repr(v)


def _listed(choices: Iterable[str]) -> str:
    return ", ".join(repr(c) for c in choices)


def _sofa_checks() -> dict[str, tuple[Check, bool]]:
    from trialkit.sofa import COMPONENTS, MISSING_RULES, SOFA2_OPTIONS, VERSIONS
    from trialkit.sofa.sofa2 import CHOICES

    def option(name: str, default: Any) -> Check:
        if isinstance(default, bool):
            return _boolean
        if isinstance(default, int):
            return _integer(0)
        return _one_of(CHOICES[name])

    return {
        "version": (_one_of(VERSIONS), False),
        "exclude": (_list_of(_one_of(COMPONENTS)), False),
        "missing": (_one_of(MISSING_RULES), False),
        # SOFA-2's footnotes (Vincent 1996 ignores them, so one table serves both scores).
        **{name: (option(name, default), False) for name, default in SOFA2_OPTIONS.items()},
    }


TRIAL_KEYS: dict[str, tuple[Check, bool]] = {
    "id": (lambda v: _text(v) or ("" if _TRIAL_ID.match(v) else "must be letters, digits, "
                                  f"'_' or '-' (it names folders), got {v!r}"), True),
    "name": (_nonempty, False),
    "title": (_text, False),
    "registration": (_text, False),
    "publication": (_text, False),
    "experimental": (_nonempty, True),
    "control": (_nonempty, True),
    "followup_days": (_integer(1), False),
    "randomized": (_integer(1), False),
    "planned_n": (_integer(1), False),
    "screened": (_integer(1), False),
    "eligible": (_integer(1), False),
    "primary": (_text, False),
}  # fmt: skip

DESIGN_KEYS: dict[str, tuple[Check, bool]] = {
    "relative_reduction": (_number(0, 1, open_=True), False),
    "effect": (_number(), False),
    "power": (_number(0, 1, open_=True), False),
    "alpha": (_number(0, 1, open_=True), False),
    "reference": (_text, False),
    "reference_mean": (_number(), False),
    "reference_sd": (_number(0, open_=True), False),
    "inflation": (_number(0, 1), False),
    "planned_n": (_integer(2), False),
    "interim_n": (_integer(2), False),
    "interim_followup_days": (_integer(0), False),
    "interim_type": (_one_of(("futility", "efficacy", "futility and efficacy")), False),
    "alternatives": (_list_of(lambda v: "" if isinstance(v, dict) else "must be a table"),
                     False),
}  # fmt: skip

ALTERNATIVE_KEYS: dict[str, tuple[Check, bool]] = {
    "label": (_nonempty, True),
    "mean": (_number(), True),
    "sd": (_number(0, open_=True), True),
}

TABLE_KEYS: dict[str, tuple[Check, bool]] = {
    "file": (_nonempty, True),
    "kind": (_one_of(TABLE_KINDS), False),
    "label": (_text, False),
    "measures": (lambda v: "" if isinstance(v, dict) else f"must be a table, got {_shown(v)}",
                 False),
    "scale": (_one_of(("log", "linear")), False),
    "death_value": (_number(), False),
}  # fmt: skip

NOTE_KEYS: dict[str, tuple[Check, bool]] = {
    "id": (_nonempty, False),
    "title": (_text, False),
    "text": (_nonempty, True),
    "concerns": (_list_of(_nonempty), True),
}

WINS_KEYS: dict[str, tuple[Check, bool]] = {
    "strata": (_nonempty, False),
    "levels": (_list_of(lambda v: "" if isinstance(v, dict) else "must be a table"), True),
}

BAYES_KEYS: dict[str, tuple[Check, bool]] = {
    "tail": (_number(0, 0.5, open_=True), False),
    "vague_sd": (_number(0, open_=True), False),
}

def _cuts(v: Any) -> str:
    if isinstance(v, list):
        return _list_of(_number())(v) or (
            "" if v == sorted(v) and len(set(v)) == len(v) else "must increase"
        )
    return _number()(v)


SUBGROUP_KEYS: dict[str, tuple[Check, bool]] = {
    "column": (_nonempty, True),
    "cut": (_cuts, False),
    "label": (_nonempty, False),
}

SECTIONS = (
    "trial", "populations", "sofa", "tables", "endpoints", "design", "wins", "bayes",
    "subgroups", "assumptions", "commentary",
)  # fmt: skip


def _keys(
    table: Any,
    schema: Mapping[str, tuple[Check, bool]],
    where: str,
    problems: list[str],
) -> bool:
    """Check a table against a section schema; False when it is not a table at all."""
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table, got {_shown(table)}")
        return False
    for key, value in table.items():
        if key not in schema:
            problems.append(f"{where} {key}: unknown key{_did_you_mean(key, schema)}")
        elif msg := schema[key][0](value):
            problems.append(f"{where} {key}: {msg}")
    for key, (_, required) in schema.items():
        if required and key not in table:
            problems.append(f"{where}: missing required key {key!r}")
    return True


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    hint = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {_listed(known)}"


def _rule_options(rule: Callable[..., Any]) -> dict[str, Check]:
    """A check for each option of an endpoint rule, from the type of its default value."""
    from trialkit.endpoints import DEATH_RULES, DISCHARGE_RULES

    choices = {"death": DEATH_RULES, "discharge": DISCHARGE_RULES, "days": ("icu", "all")}
    out: dict[str, Check] = {}
    for name, p in inspect.signature(rule).parameters.items():
        if p.kind is not p.KEYWORD_ONLY:
            continue
        d = p.default
        if name in choices:
            out[name] = _one_of(choices[name])
        elif name == "window":
            out[name] = _window
        elif isinstance(d, bool):
            out[name] = _boolean
        elif isinstance(d, int):
            out[name] = _integer(0)
        elif isinstance(d, float) or d is None:
            out[name] = _number()
        else:
            out[name] = _text
    return out


def _endpoints(
    endpoints: Any, populations: Mapping[str, Any], where: str, problems: list[str]
) -> None:
    from trialkit.endpoints import RULES

    if not isinstance(endpoints, dict):
        problems.append(
            f"{where}[endpoints]: must be a table of endpoints, got {_shown(endpoints)}"
        )
        return
    if not endpoints:
        problems.append(f"{where}[endpoints]: the spec defines no endpoint")
    meta: dict[str, tuple[Check, bool]] = {
        "rule": (_one_of(RULES), True),
        "label": (_nonempty, False),
        "population": (_one_of(populations), False),
        "analysis": (_one_of(ANALYSES), False),
        "covariates": (_list_of(_nonempty), False),
        "factors": (_list_of(_nonempty), False),
        # the minimal clinically important difference, on the endpoint's comparison scale
        # (a risk ratio for deaths, points for a score)
        "mcid": (_number(0, open_=True), False),
    }
    for eid, opts in endpoints.items():
        at = f"{where}[endpoints.{eid}]"
        if not _ID.match(eid):
            problems.append(f"{at}: an endpoint id must be letters, digits and '_' (it names a "
                            "column), starting with a letter")  # fmt: skip
        if not isinstance(opts, dict):
            problems.append(f"{at}: must be a table (rule = ..., options), got {_shown(opts)}")
            continue
        rule = RULES.get(opts.get("rule")) if isinstance(opts.get("rule"), str) else None
        options = _rule_options(rule) if rule else {}
        schema = {**meta, **{k: (c, False) for k, c in options.items()}}
        if rule is None:  # the rule's error is enough; its options cannot be judged
            schema |= {k: (lambda v: "", False) for k in opts if k not in meta}
        _keys(opts, schema, at, problems)


def check_spec(raw: Mapping[str, Any], origin: str = "<dict>") -> list[str]:
    """Every problem of a parsed spec against the schema, each naming ``origin`` and the key.

    Examples
    --------
    >>> for p in check_spec({"trial": {"id": "x", "experimental": "a", "control": "a"},
    ...                      "populations": {"primary": "mitt"},
    ...                      "endpoints": {"d": {"rule": "dead_by", "day": "28"}}}, "s.toml"):
    ...     print(p)
    s.toml: [trial]: experimental and control arms have the same label 'a'
    s.toml: [endpoints.d] day: must be a whole number, got '28'
    """
    where = f"{origin}: "
    problems: list[str] = []
    for section in raw:
        if section not in SECTIONS:
            problems.append(
                f"{where}[{section}]: unknown section{_did_you_mean(section, SECTIONS)}"
            )
    trial = raw.get("trial")
    if trial is None:
        problems.append(f"{where}missing required section [trial] (id, experimental, control)")
    elif _keys(trial, TRIAL_KEYS, f"{where}[trial]", problems):
        arms = trial.get("experimental"), trial.get("control")
        if isinstance(arms[0], str) and arms[0] == arms[1]:
            problems.append(f"{where}[trial]: experimental and control arms have the same "
                            f"label {arms[0]!r}")  # fmt: skip
    populations = raw.get("populations")
    if populations is None:
        problems.append(f"{where}missing required section [populations] (primary = flag column)")
        populations = {}
    elif not isinstance(populations, dict):
        problems.append(f"{where}[populations]: must be a table name = flag column, got "
                        f"{_shown(populations)}")  # fmt: skip
        populations = {}
    else:
        for name, flag in populations.items():
            if msg := _nonempty(flag):
                problems.append(f"{where}[populations] {name}: {msg}")
        if "primary" not in populations:
            problems.append(f"{where}[populations]: missing required key 'primary'")
    if "sofa" in raw:
        _keys(raw["sofa"], _sofa_checks(), f"{where}[sofa]", problems)
    tables = raw.get("tables", {})
    if not isinstance(tables, dict):
        problems.append(f"{where}[tables]: must be a table name = file, got {_shown(tables)}")
        tables = {}
    for name, value in tables.items():
        if not isinstance(value, str):
            _keys(value, TABLE_KEYS, f"{where}[tables.{name}]", problems)
    if "endpoints" not in raw:
        problems.append(f"{where}missing required section [endpoints]")
    else:
        _endpoints(raw["endpoints"], populations, where, problems)
    endpoints = raw.get("endpoints") if isinstance(raw.get("endpoints"), dict) else {}
    primary = trial.get("primary") if isinstance(trial, dict) else None
    if isinstance(primary, str) and primary not in endpoints:
        problems.append(
            f"{where}[trial] primary: {primary!r} is not an endpoint of the spec"
            + _did_you_mean(primary, endpoints).replace("known keys", "endpoints")
        )
    design = raw.get("design")
    if design is not None and _keys(design, DESIGN_KEYS, f"{where}[design]", problems):
        for i, alt in enumerate(design.get("alternatives", []) or []):
            if isinstance(alt, dict):
                _keys(alt, ALTERNATIVE_KEYS, f"{where}[[design.alternatives]] {i + 1}", problems)
    wins = raw.get("wins")
    if wins is not None and _keys(wins, WINS_KEYS, f"{where}[wins]", problems):
        from trialkit.stats._hierarchy import parse_hierarchy

        try:
            parse_hierarchy(wins.get("levels", []))
        except ValueError as exc:
            problems.append(f"{where}[[wins.levels]]: {exc}")
    if "bayes" in raw:
        _keys(raw["bayes"], BAYES_KEYS, f"{where}[bayes]", problems)
    subgroups = raw.get("subgroups", [])
    if not isinstance(subgroups, list):
        problems.append(f"{where}[[subgroups]]: must be an array of tables ([[subgroups]])")
    else:
        for i, item in enumerate(subgroups):
            _keys(item, SUBGROUP_KEYS, f"{where}[[subgroups]] {i + 1}", problems)
    concerns = set(TOPICS) | set(endpoints) | set(tables)
    for section in ("assumptions", "commentary"):
        items = raw.get(section, [])
        if not isinstance(items, list):
            problems.append(f"{where}[[{section}]]: must be an array of tables ([[{section}]])")
            continue
        seen: set[str] = set()
        for i, item in enumerate(items):
            at = f"{where}[[{section}]] {i + 1}"
            if not _keys(item, NOTE_KEYS, at, problems):
                continue
            if section == "assumptions":
                if "id" not in item:
                    problems.append(f"{at}: missing required key 'id'")
                elif item["id"] in seen:
                    problems.append(f"{at} id: {item['id']!r} is used twice")
                seen.add(str(item.get("id")))
            for c in item.get("concerns", []) if isinstance(item.get("concerns"), list) else []:
                if isinstance(c, str) and c not in concerns:
                    problems.append(
                        f"{at} concerns: {c!r} is not an endpoint id, table or topic"
                        + _did_you_mean(c, sorted(concerns)).replace("known keys", "known")
                    )
    return problems
