"""What every analysis notebook needs besides the statistics: the trial it speaks of, its
estimates recorded beside the published figures, and the words that belong to this trial.

A notebook is a document about whichever trial it is run on. It opens the trial with
:func:`setup` and takes every trial-specific word from the result: the trial's name and arms,
the endpoint's label, day and horizon (the spec), what was published (``published.toml``),
the assumptions an analysis rests on and the commentary that belongs to this trial alone
(the spec's ``[[assumptions]]`` and ``[[commentary]]``, chosen by what they *concern*, never
by an id written in a notebook). Text from a user's files is escaped before it is displayed.

A notebook run by hand (JupyterLab, papermill) without an ``out_dir`` records its estimates
in a scratch folder: only ``trialkit report`` writes a report.
"""

from __future__ import annotations

import html
import math
import re
import sys
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trialkit import tables
from trialkit.published import describe_figure, figures_about, load_published
from trialkit.results import record
from trialkit.spec import Spec, load_spec


def scratch_dir() -> Path:
    """Where a hand run records its estimates: a folder of the system's temporary directory,
    never a report."""
    return Path(tempfile.gettempdir()) / "trialkit-scratch"


def escape(text: object) -> str:
    """Text from a user's file made safe to display as Markdown: HTML is shown, not run, and
    no link or image can be made.

    Examples
    --------
    >>> escape('<img src=x onerror=alert(5)> [click](javascript:x) *kept*')
    '&lt;img src=x onerror=alert(5)&gt; \\\\[click\\\\](javascript:x) *kept*'
    """
    return re.sub(r"([\[\]])", r"\\\1", html.escape(str(text), quote=False))


def _markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


@dataclass
class Recorder:
    """Record estimates of one trial in ``out_dir`` beside the published figures.

    Call it as ``keep(analysis_id, label, result, published_id=None, note="", arms=None,
    check=False, q1=None, q3=None, n=None, percent=None)``; it writes the row with
    :func:`trialkit.results.record` and returns it as :func:`trialkit.tables.reconciliation`
    shows it. ``check=True`` marks a row computed by another method than the published one
    (a check beside the reproduction, not a reproduction); ``q1``/``q3`` (a median's
    quartiles) and ``n``/``percent`` (a count's denominator and percentage) are compared with
    the figure's when it prints them.

    Parameters
    ----------
    out_dir : str, Path or None
        The report folder (the notebook's ``out_dir`` parameter); None: :func:`scratch_dir`.
    spec : Spec
        The trial's analysis plan; ``spec.id`` names the results folder.
    published : mapping
        :func:`trialkit.published.load_published` of the data folder. A published id that the
        folder does not have is dropped, because a user's own trial may publish nothing.
    arms : (str, str), optional
        Default arms of every estimate; the spec's (experimental, control) when not given.

    Examples
    --------
    >>> import tempfile
    >>> from trialkit.spec import load_spec
    >>> keep = Recorder(tempfile.mkdtemp(), load_spec("imicro"), {"figures": {}})
    >>> keep("n_iloprost", "Patients analysed, iloprost", 114, arms=("iloprost", ""))[
    ...     "trialkit"].item()
    '114'
    """

    out_dir: str | Path | None
    spec: Spec
    published: Mapping[str, Any]
    arms: tuple[str, str] | None = None
    _figures: Mapping[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._figures = self.published.get("figures", {})
        if self.out_dir is None:
            self.out_dir = scratch_dir()
        if self.arms is None:
            self.arms = self.spec.arms

    def __call__(
        self,
        analysis_id: str,
        label: str,
        result: pd.DataFrame | float,
        published_id: str | None = None,
        note: str = "",
        arms: tuple[str, str] | None = None,
        *,
        check: bool = False,
        q1: float | None = None,
        q3: float | None = None,
        n: float | None = None,
        percent: float | None = None,
    ) -> pd.DataFrame:
        if not isinstance(result, pd.DataFrame):  # a count, or a summary of one arm
            result = pd.DataFrame(
                {"estimate": [result], "ci_low": [math.nan], "ci_high": [math.nan]}
            )
        if published_id not in self._figures:
            published_id = None
        arm_1, arm_2 = arms if arms is not None else self.arms
        row = record(
            self.out_dir,
            self.spec.id,
            analysis_id,
            label,
            result,
            arm_1=arm_1,
            arm_2=arm_2,
            published_id=published_id,
            published=self.published,
            note=note,
            check=check,
            q1=q1,
            q3=q3,
            n=n,
            percent=percent,
        )
        return tables.reconciliation(row)

    def has(self, published_id: str) -> bool:
        """Whether the data folder publishes a figure with this id."""
        return published_id in self._figures


def show_assumptions(spec: Spec, *concerns: str) -> None:
    """Display, as Markdown quotes, the spec's assumptions (what the publications leave open)
    that concern any of ``concerns`` (endpoint ids, tables or topics)."""
    for a in spec.concerning("assumptions", *concerns):
        _markdown(f"> **Assumption `{escape(a['id'])}`.** {escape(_one_paragraph(a['text']))}")


def show_commentary(spec: Spec, *concerns: str) -> None:
    """Display the spec's commentary on ``concerns``: what this trial's report alone says."""
    for c in spec.concerning("commentary", *concerns):
        title = f"**{escape(c['title'])}.** " if c.get("title") else f"**{escape(spec.name)}.** "
        _markdown(title + escape(_one_paragraph(c["text"])))


def _one_paragraph(text: str) -> str:
    return " ".join(str(text).split())


def published_text(
    spec: Spec, published: Mapping[str, Any], endpoints: Iterable[str] = (), ids: Iterable[str] = ()
) -> str:
    """What the trial published about some endpoints (or figure ids), as Markdown.

    Every number comes from the data folder's ``published.toml``, printed as the publication
    printed it, with its source and its note; a trial that published nothing says so.
    """
    figures = figures_about(published, endpoints, ids)
    name = escape(spec.name)
    if not figures:
        reason = (
            "its data folder has no `published.toml`"
            if not published.get("figures")
            else "`published.toml` has no figure for this analysis"
        )
        return (
            f"**What {name} published.** Nothing to compare with: {reason}, so the estimates "
            "below are recorded as *not published*."
        )
    sources = published.get("sources", {})
    lines = [f"**What {name} published.**", ""]
    used = []
    for fig in figures.values():
        src = fig.get("source", "")
        flags = [f for f in ("derived", "provisional") if fig.get(f)]
        tail = f" [{escape(src)}" + "".join(f", {f}" for f in flags) + "]" if src else ""
        note = f" *{escape(fig['note'])}*" if fig.get("note") else ""
        lines.append(
            f"- {escape(fig.get('label', ''))}: {escape(describe_figure(fig))}{tail}.{note}"
        )
        if src and src not in used:
            used.append(src)
    cited = [f"[{escape(s)}] {escape(sources[s])}" for s in used if s in sources]
    if cited:
        lines += ["", "*Sources:* " + "; ".join(cited) + "."]
    return "\n".join(lines)


@dataclass
class Context:
    """One trial opened for a notebook: spec, validated data, published figures, recorder.

    Made by :func:`setup`. Every display method escapes text from the user's files.
    """

    spec: Spec
    data: Any
    published: dict[str, Any]
    keep: Recorder
    data_dir: Path
    # (spec, every patient's endpoints): the spec object itself is kept, so that a spec made
    # by with_options for a sensitivity run is never mistaken for another one.
    _cache: list[tuple[Spec, pd.DataFrame]] = field(default_factory=list, repr=False)

    @property
    def arms(self) -> tuple[str, str]:
        return self.spec.arms

    def heading(self, text: str) -> None:
        """A heading naming the trial: ``## I-MICRO: <text>``."""
        _markdown(f"## {escape(self.spec.name)}: {escape(text)}")

    def describe_endpoint(self, endpoint_id: str) -> None:
        """The endpoint as the spec defines it: label, primary or not, rule and options."""
        spec = self.spec
        role = "the primary endpoint" if spec.is_primary(endpoint_id) else "a secondary endpoint"
        opts = ", ".join(f"`{escape(k)} = {escape(repr(v))}`" for k, v in
                         spec.endpoint_options(endpoint_id).items())  # fmt: skip
        _markdown(
            f"**{escape(spec.label(endpoint_id))}** is {role} of {escape(spec.name)} "
            f"(`{escape(endpoint_id)}`: rule `{escape(spec.rule(endpoint_id))}`"
            + (f", {opts}" if opts else "")
            + f"; analysed in the `{escape(spec.population_of(endpoint_id))}` population)."
        )

    def show_published(self, endpoints: Iterable[str] = (), ids: Iterable[str] = ()) -> None:
        _markdown(published_text(self.spec, self.published, endpoints, ids))

    def show_assumptions(self, *concerns: str) -> None:
        show_assumptions(self.spec, *concerns)

    def show_commentary(self, *concerns: str) -> None:
        show_commentary(self.spec, *concerns)

    def population_name(self, population: str | None, endpoint_id: str | None = None) -> str:
        """The population to analyse: the notebook's parameter, else the endpoint's, else
        the spec's primary one."""
        if population:
            return population
        return self.spec.population_of(endpoint_id) if endpoint_id else "primary"

    def analysed(
        self, population: str | None = None, spec: Spec | None = None, *, quiet: bool = False
    ) -> pd.DataFrame:
        """The analysis set (:func:`trialkit.endpoints.analysis_set`) of a population, with
        a line saying how many patients it holds per arm."""
        from trialkit.endpoints import analysis_set, in_population

        spec = self.spec if spec is None else spec
        everyone = next((f for s, f in self._cache if s is spec), None)
        if everyone is None:
            everyone = analysis_set(self.data, spec)
            self._cache.append((spec, everyone))
        name = population or "primary"
        out = in_population(everyone, spec, name)
        if not quiet:
            a1, a2 = spec.arms
            print(
                f"{spec.name}, population '{name}' ({spec.populations.get(name, name)} = 1): "
                f"{len(out)} patients "
                f"({a1} {(out.arm == a1).sum()}, {a2} {(out.arm == a2).sum()})"
            )
        return out


def _display_defaults() -> None:
    """Numbers a clinician can read, and figures whose bytes carry no version string."""
    pd.set_option("display.float_format", lambda v: f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}")
    pd.set_option("display.max_colwidth", None)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - not in a kernel
        return
    if get_ipython() is not None:
        # matplotlib writes its version into every PNG ("Software"); pages must not carry it.
        set_matplotlib_formats("png", metadata={"Software": None})
        # A warning shows its category and text, not the file path of the code that raised it:
        # a page must read the same on every machine.
        warnings.showwarning = _show_warning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    print(f"{category.__name__}: {message}", file=sys.stderr)


def setup(
    trial: str | Path,
    data_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    *,
    sofa_version: str | None = None,
) -> Context:
    """Open a trial for a notebook: its spec, its validated data and published figures.

    Parameters
    ----------
    trial : str or Path
        A shipped spec id or a spec file.
    data_dir : str, Path or None
        The data folder; None: the trial's bundled twin (an error for a trial trialkit does
        not ship).
    out_dir : str, Path or None
        The report folder; None: a scratch folder (a hand run never touches a report).
    sofa_version : {"sofa1", "sofa2"} or None
        Score every SOFA of this run with that version (``-p sofa_version=sofa2``); None:
        the spec's ``[sofa] version``.
    """
    from trialkit.resources import bundled_data
    from trialkit.schema import load_trial
    from trialkit.spec import SpecError

    spec = load_spec(trial)
    if sofa_version is not None:
        spec = spec.with_sofa(version=sofa_version)
    if data_dir is None:
        folder = bundled_data(spec.id)
        if folder is None:
            raise SpecError(
                f"trialkit ships no data for trial {spec.id!r}: set the notebook's data_dir "
                "parameter to its data folder"
            )
    else:
        folder = Path(data_dir)
    data = load_trial(folder, spec)
    published = load_published(folder)
    _display_defaults()
    return Context(spec, data, published, Recorder(out_dir, spec, published), folder)
