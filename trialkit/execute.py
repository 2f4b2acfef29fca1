"""Executing the analysis notebooks for ``trialkit report``: papermill with kernels that an
interrupt can kill, the executed notebook made byte-stable and rendered to an offline page.

Each worker thread keeps one kernel and runs its notebooks in it one after another: a kernel's
start and the imports of pandas, matplotlib, scipy and statsmodels are paid once per worker,
not once per notebook. Before each notebook but the kernel's first, :mod:`trialkit._kernel_state`
returns the kernel to the state of a fresh one (namespace, execution count, working directory,
warnings, matplotlib and pandas settings), so that a notebook's outputs do not depend on which
notebooks ran before it; ``tests/test_execute_reuse.py`` holds the report byte-identical to one
made with a fresh kernel per notebook (``reuse_kernels=False``). A kernel that dies, or that
cannot be reset, is replaced by a fresh one for the next notebook. The workers only execute:
the main thread makes each executed notebook byte-stable and renders its page while the
worker's kernel runs the next notebook (rendering in the worker had left its kernel idle for
0.1-0.5 s after every notebook).
"""

from __future__ import annotations

import ast
import json
import queue
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from trialkit import parameters as params

if TYPE_CHECKING:  # pragma: no cover
    from trialkit.report import Outcome, TrialRun

KERNEL = "python3"

# The kernel's own log would tear the progress bar: a TCP warning per start, and "KeyboardInterrupt
# caught in kernel" when jupyter_client's shutdown interrupts it first. A cell's error still
# reaches the report through papermill.
_KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
# As nbclient starts an IPython kernel: no history file (two kernels at once would share it).
_HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"
STARTUP_TIMEOUT = 60  # seconds for a kernel to answer its first request (nbclient's default)

# nbconvert's lab template, minus the scripts it would fetch from a CDN (require.js for
# widgets, MathJax, mermaid): the pages must open on a ward computer with no network.
# Figures are inline PNGs already; CSS is inlined by the template.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


_kernels: set[Any] = set()
_kernels_lock = threading.Lock()
_copy_lock = threading.Lock()  # two notebooks of one trial start at once: one spec copy


def _tracked_kernel_manager() -> type:
    """A kernel manager that registers itself, so that an interrupt can kill every kernel."""
    from jupyter_client import AsyncKernelManager

    class Tracked(AsyncKernelManager):
        """Also remembers the clients nbclient makes: a kernel manager it does not own, it
        leaves their channels open (one client per notebook); :class:`_Kernel` closes them."""

        def client(self, **kw: Any) -> Any:
            made = super().client(**kw)
            self.clients = [*getattr(self, "clients", []), made]
            return made

        async def _async_start_kernel(self, **kw: Any) -> None:
            with _kernels_lock:
                _kernels.add(self)
            await super()._async_start_kernel(**kw)

        async def _async_shutdown_kernel(self, *args: Any, **kw: Any) -> None:
            try:
                await super()._async_shutdown_kernel(*args, **kw)
            finally:
                with _kernels_lock:
                    _kernels.discard(self)

        # AsyncKernelManager binds its public coroutines to KernelManager's functions, not to
        # self._async_*: without these, an override of the latter is never called.
        start_kernel = _async_start_kernel
        shutdown_kernel = _async_shutdown_kernel

    return Tracked


def _kill_kernels() -> None:
    with _kernels_lock:
        kms = list(_kernels)
    for km in kms:
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            try:
                process.send_signal(signal.SIGKILL)
            except (OSError, ValueError):
                pass


def execute_all(
    todo: list[Outcome],
    stage: Path,
    per_notebook: Mapping[str, Mapping[str, Any]],
    jobs: int,
    kernel_parameters: Callable[[TrialRun, Path], dict[str, Any]],
    *,
    reuse_kernels: bool = True,
) -> None:
    """Run each outcome's notebook into ``stage/<trial>/`` (``jobs`` at once), filling in
    ``outcome.error`` and ``outcome.output``.

    Parameters
    ----------
    todo : list of Outcome
        The notebooks to run, in the order the workers take them.
    stage : Path
        The staging folder; a notebook runs with its trial's folder ``stage/<trial>/`` as the
        working directory and is written there.
    per_notebook : mapping
        Notebook name -> the parameters given for this run that it declares.
    jobs : int
        Worker threads, each with its own kernel.
    kernel_parameters : callable
        ``(run, cwd) -> {"trial": ..., "data_dir": ..., "out_dir": ...}`` for a notebook run
        in ``cwd``.
    reuse_kernels : bool
        True: each worker runs its notebooks one after another in one kernel, reset between
        them (:mod:`trialkit._kernel_state`). False: a fresh kernel per notebook.

    Notes
    -----
    On Ctrl-C nothing queued starts, the running kernels are killed and the interrupt is
    re-raised at once: the workers are daemon threads, so neither they nor a notebook still
    being written keep the process alive, and a write into the staging folder the caller then
    removes fails harmlessly.
    """
    manager = _tracked_kernel_manager()
    waiting: queue.Queue[Outcome | None] = queue.Queue()
    finished: queue.Queue[tuple[Outcome, Path, dict[str, Any]]] = queue.Queue()
    for o in todo:
        waiting.put(o)
    cancelled = threading.Event()

    def work() -> None:
        kernel = _Kernel(manager) if reuse_kernels else None
        try:
            while not cancelled.is_set():
                try:
                    outcome = waiting.get_nowait()
                except queue.Empty:
                    return
                extra = per_notebook.get(outcome.notebook.name, {})
                ran = _execute(outcome, stage, extra, manager, kernel_parameters, kernel)
                finished.put((outcome, *ran))
        finally:
            if kernel is not None and not cancelled.is_set():
                # Killed, not asked to shut down (~2 s, on the report's wall time): every
                # notebook it ran is written, and it holds nothing else.
                kernel.shutdown(now=True)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(min(jobs, len(todo)))]
    for w in workers:
        w.start()
    try:
        with tqdm(total=len(todo), desc="trialkit report", unit="notebook", file=sys.stderr) as bar:
            for _ in todo:
                while True:  # a timeout, so that Ctrl-C reaches this thread at once
                    try:
                        outcome, target, given = finished.get(timeout=0.2)
                        break
                    except queue.Empty:
                        continue
                # Here, not in the worker: its kernel goes on to the next notebook meanwhile.
                _finish(outcome, target, given, cancelled)
                bar.update()
                if outcome.error:
                    bar.write(f"FAILED {outcome.run.spec.id}/{outcome.notebook.path.name}")
        for w in workers:  # each is killing its kernel; with a timeout, so that Ctrl-C works
            while w.is_alive():
                w.join(timeout=0.2)
    except KeyboardInterrupt:
        cancelled.set()
        _kill_kernels()
        raise


def _execute(
    outcome: Outcome,
    stage: Path,
    extra: Mapping[str, Any],
    manager: type,
    kernel_parameters: Callable[[TrialRun, Path], dict[str, Any]],
    kernel: _Kernel | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Run one notebook into the staging folder: the notebook written, the parameters given
    (a failure goes to ``outcome.error``)."""
    pm = _papermill()
    nb, run = outcome.notebook, outcome.run
    cwd = stage / run.spec.id
    target = cwd / f"{nb.name}.ipynb"
    with _copy_lock:
        given = {**kernel_parameters(run, cwd), **extra}
    try:
        # A kernel manager given to papermill (km=) is not shut down by nbclient.
        reused = {} if kernel is None else {"km": kernel.ready(cwd)}
        pm.execute_notebook(
            nb.path.resolve(),
            target,
            parameters=given,
            kernel_name=KERNEL,
            # Not papermill's cwd=, which chdirs the whole process (threads would race):
            # nbclient starts the kernel in the trial's report folder (a reused kernel is
            # moved there by its reset).
            resources={"metadata": {"path": str(cwd)}},
            progress_bar=False,
            # Written once at the end, not after every cell: faster, and nothing half-written
            # lands in the staging folder while a notebook runs.
            request_save_on_cell_execute=False,
            kernel_manager_class=manager,
            extra_arguments=_KERNEL_ARGUMENTS,
            **reused,
        )
    except pm.PapermillExecutionError as exc:
        outcome.error = _describe_failure(target, exc)
    except Exception as exc:  # a dead kernel, an unreadable notebook: say which, go on
        outcome.error = f"could not run: {type(exc).__name__}: {exc}"
        if kernel is not None:
            kernel.discard()  # the next notebook gets a fresh kernel
    finally:
        if kernel is not None:
            kernel.close_clients()
    return target, given


def _finish(
    outcome: Outcome, target: Path, given: dict[str, Any], cancelled: threading.Event
) -> None:
    """The executed notebook made byte-stable and rendered beside it as a page."""
    if target.exists() and not cancelled.is_set():
        outcome.output = target
        try:
            make_stable(target, given)
            render_html(target, target.with_suffix(".html"))
        except Exception as exc:
            outcome.error = outcome.error or (
                f"ran, but the HTML page could not be rendered: {type(exc).__name__}: {exc}"
            )


_import_lock = threading.Lock()
# jsonschema's optional checker of the "iri" formats: its import builds a grammar (~1.8 s).
_UNNEEDED = "rfc3987_syntax"


def _papermill() -> Any:
    """papermill, imported the first time without jsonschema's optional ``rfc3987_syntax``.

    papermill imports nbformat, which imports jsonschema, whose format checkers import
    ``rfc3987_syntax`` when it is installed; that import builds a parser of RFC 3987 (~1.8 s
    of the report's own CPU, before its first kernel can start). Its checkers ("iri",
    "iri-reference") serve nothing here: nbformat's schemas name no format and it validates
    without a format checker. The block lasts for that one import: a later ``import
    rfc3987_syntax`` in this process finds the module as usual.
    """
    with _import_lock:  # two workers import at once; the block must not outlive the import
        if "jsonschema" not in sys.modules and _UNNEEDED not in sys.modules:
            sys.modules[_UNNEEDED] = None  # type: ignore[assignment]  # import raises ImportError
            try:
                import papermill
            finally:
                del sys.modules[_UNNEEDED]
        import papermill
    return papermill


class _Kernel:
    """The kernel of one worker thread, reused from notebook to notebook.

    :meth:`ready` gives the kernel manager to pass to papermill for a notebook that runs in
    ``cwd``: the first time (or after :meth:`discard`) a new kernel started in ``cwd`` as
    nbclient would start it, with :func:`trialkit._kernel_state.snapshot` taken; afterwards the
    same kernel, reset by :func:`trialkit._kernel_state.reset` and moved to ``cwd``. A kernel
    that has died or whose reset fails is replaced. Every call runs in the worker's thread:
    ``run_sync``, as nbclient uses it, keeps one event loop per thread, so the manager's
    sockets stay in one loop.
    """

    def __init__(self, manager: type):
        self.manager = manager
        self.km: Any = None

    def ready(self, cwd: Path) -> Any:
        from nbclient.util import run_sync  # jupyter_core's, as nbclient runs its own

        if self.km is not None:
            try:
                run_sync(self._run)(_reset_code(cwd))
                return self.km
            except Exception:  # dead, or left in a state its reset cannot undo: a fresh one
                self.discard()
        km = self.manager(kernel_name=KERNEL)
        self.km = km
        run_sync(km.start_kernel)(
            extra_arguments=[*_KERNEL_ARGUMENTS, _HISTORY_IN_MEMORY], cwd=str(cwd)
        )
        run_sync(self._run)(_SNAPSHOT)
        return km

    async def _run(self, code: str) -> None:
        """Execute ``code`` silently (no output, no execution count) and wait for its reply;
        only the shell channel is opened, so that no iopub message waits unread."""
        from queue import Empty

        kc = self.km.client()
        kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            waited = 0
            while True:
                try:
                    reply = await kc.get_shell_msg(timeout=1)
                except Empty:
                    waited += 1
                    if waited >= STARTUP_TIMEOUT or not await self.km.is_alive():
                        raise RuntimeError("the kernel did not answer") from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            self.close_clients()
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def close_clients(self) -> None:
        """Close the channels of every client made for this kernel so far."""
        if self.km is None:
            return
        clients, self.km.clients = getattr(self.km, "clients", []), []
        for kc in clients:
            kc.stop_channels()

    def discard(self) -> None:
        """Shut the kernel down now; the next :meth:`ready` starts a fresh one."""
        self.shutdown(now=True)

    def shutdown(self, now: bool = False) -> None:
        """Shut the kernel down (politely unless ``now``) and forget it."""
        from nbclient.util import run_sync  # jupyter_core's, as nbclient runs its own

        km, self.km = self.km, None
        if km is None:
            return
        try:
            for kc in getattr(km, "clients", []):
                kc.stop_channels()
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=now)
        except Exception:  # already gone: nothing to shut down
            pass
        finally:
            run_sync(km.cleanup_resources)()


_SNAPSHOT = "__import__('trialkit._kernel_state')._kernel_state.snapshot()"


def _reset_code(cwd: Path) -> str:
    """The code that resets a reused kernel into ``cwd``.

    The path (which holds the user's ``--out`` and the spec's trial id) reaches the kernel as
    a Python string literal, never as code: :func:`ascii` of a string is a literal of that
    same string, in ASCII (quotes, backslashes, newlines, non-UTF-8 bytes escaped), and it is
    checked to read back as the path before it is sent.
    """
    path = str(cwd.absolute())
    literal = ascii(path)
    if ast.literal_eval(literal) != path:  # pragma: no cover - ascii() guarantees it
        raise ValueError(f"cannot pass the folder {path!r} to a kernel")
    return f"__import__('trialkit._kernel_state')._kernel_state.reset({literal})"


def make_stable(notebook: Path, given: Mapping[str, Any] | None = None) -> None:
    """Make an executed notebook say what this run did and nothing that changes between runs.

    The ``parameters`` cell is rewritten to the values of this run (papermill's separate
    injected cell, with its random id, is folded into it), so the page shows the parameters
    it was computed with and not the notebook's defaults; papermill's times and durations,
    cell execution timestamps and the Python version are removed; consecutive pieces of one
    stream are joined into one output (:func:`_joined_streams`).
    """
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb.get("metadata", {}).pop("papermill", None)
    nb.get("metadata", {}).get("language_info", {}).pop("version", None)
    source = next(
        ("".join(c.get("source", [])) for c in nb.get("cells", [])
         if "parameters" in c.get("metadata", {}).get("tags", [])),
        None,
    )  # fmt: skip
    # Fold the injected values into the parameters cell when it declares every one of them.
    fold = (
        given is not None
        and source is not None
        and set(given) <= set(params.assigned_names(source))
    )
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {})
        meta.pop("papermill", None)
        meta.pop("execution", None)
        tags = meta.get("tags", [])
        if "injected-parameters" in tags:
            if fold:
                continue
            cell["id"] = "injected-parameters"
        if "parameters" in tags and fold:
            cell["source"] = params.with_values("".join(cell.get("source", [])), given)
        if not cell.get("id"):
            cell["id"] = f"cell-{i}"
        if "outputs" in cell:
            cell["outputs"] = _joined_streams(cell["outputs"])
        cells.append(cell)
    nb["cells"] = cells
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _joined_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cell's outputs with each run of consecutive ``stdout`` (or ``stderr``) outputs joined
    into one, its text split into lines as nbformat writes it.

    The kernel sends what a cell prints in pieces, at its flush interval (ipykernel's 0.2 s):
    lines printed before and after a computation that takes longer arrive as two outputs, and
    as one on a faster machine. Joined, the page does not depend on how fast it was computed
    (nbval compares outputs joined the same way).
    """
    out: list[dict[str, Any]] = []
    for o in outputs:
        last = out[-1] if out else None
        if (
            last is not None
            and o.get("output_type") == last.get("output_type") == "stream"
            and o.get("name") == last.get("name")
        ):
            text = _text(last.get("text", "")) + _text(o.get("text", ""))
            last["text"] = text.splitlines(keepends=True)
        else:
            out.append(o)
    return out


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _describe_failure(target: Path, exc: Any) -> str:
    """The failing cell, numbered as in the source notebook, its first line and the error."""
    index = exc.cell_index
    # papermill inserts an "injected-parameters" cell; count cells as the author sees them.
    try:
        cells = json.loads(target.read_text(encoding="utf-8"))["cells"]
        injected = [
            i
            for i, c in enumerate(cells)
            if "injected-parameters" in c.get("metadata", {}).get("tags", [])
        ]
        if injected and injected[0] < index:
            index -= 1
    except (OSError, ValueError, KeyError):
        pass
    first = next((line for line in exc.source.splitlines() if line.strip()), "").strip()
    return f"cell index {index} (`{first}`) raised {exc.ename}: {exc.evalue}"


_local = threading.local()


def render_html(notebook: Path, html_path: Path) -> None:
    """Render an executed notebook to one self-contained HTML file (no network needed)."""
    import nbformat

    body, _ = _exporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    html_path.write_text(body, encoding="utf-8")


def _exporter() -> Any:
    # Building the exporter (templates, CSS) costs more than a render: one per thread, kept.
    if not hasattr(_local, "exporter"):
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        _local.exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[DictLoader({"trialkit_offline.html.j2": _OFFLINE_TEMPLATE})],
            template_file="trialkit_offline.html.j2",
            embed_images=True,
        )
    return _local.exporter
