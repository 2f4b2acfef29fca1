"""A report interrupted or run twice at once never leaves an index that vouches for pages it
did not produce: Ctrl-C stops it at once (exit 130, no traceback) and leaves the previous
report as it was; a second run into the folder a live run holds is refused."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "notebooks"
# The figures the fixture notebook 10_records compares with.
PUBLISHED = """
[sources]
A = "a source"

[figures.rr_death_d28]
estimate = 1.08
source = "A"

[figures.hl_delta_sofa]
estimate = 1
source = "A"
"""


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _report(out: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "trialkit", "report", "--trial", "imicro", "--out", str(out),
            *extra]  # fmt: skip
    # The report runs as from a terminal, where Ctrl-C is not ignored. A child inherits an
    # ignored SIGINT, and Python then never turns it into KeyboardInterrupt: `make test &`
    # in a script (a shell ignores SIGINT in its background commands) ran the report to its
    # end and returned 0.
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)  # fmt: skip


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A complete earlier report (the fixture notebooks: quick)."""
    root = tmp_path_factory.mktemp("interrupt")
    data = root / "data" / "imicro"
    shutil.copytree(HERE / "fixtures" / "tiny", data)
    (data / "published.toml").write_text(PUBLISHED)
    out = root / "reports"
    done = subprocess.run([sys.executable, "-m", "trialkit", "report", "--data", str(data),
                           "--out", str(out), "--notebooks", str(FIXTURES)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root, out


def _wait_for_staging(root: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    staging = root / ".reports.staging"
    deadline = time.monotonic() + seconds
    while not (staging / "pid").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the report never started"
        time.sleep(0.2)


@pytest.mark.slow
def test_ctrl_c_stops_at_once_and_leaves_the_previous_report(earlier):
    root, out = earlier
    before = _digest(out)
    proc = _report(out)  # the bundled notebooks: long enough to be interrupted
    _wait_for_staging(root, proc)
    time.sleep(3)  # kernels are running now
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - started < 30, "queued notebooks kept starting after Ctrl-C"
    assert "Traceback" not in stderr + stdout
    assert "left as it was before this run" in stderr
    assert _digest(out) == before
    assert not (root / ".reports.staging").exists()


@pytest.mark.slow
def test_a_second_run_into_a_held_folder_is_refused(earlier):
    root, out = earlier
    before = _digest(out)
    first = _report(out)
    _wait_for_staging(root, first)
    second = subprocess.run(
        [sys.executable, "-m", "trialkit", "report", "--trial", "imicro", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    assert second.returncode == 2
    assert "another trialkit report (process" in second.stderr
    assert _digest(out) == before


@pytest.mark.slow
def test_ctrl_c_finds_every_kernel_it_must_kill():
    # AsyncKernelManager.start_kernel is KernelManager._async_start_kernel itself, so the
    # tracking must sit on the public coroutines that nbclient calls, or _kill_kernels sees none.
    from nbclient.util import run_sync

    from trialkit import execute

    km = execute._tracked_kernel_manager()(kernel_name=execute.KERNEL)
    run_sync(km.start_kernel)()
    try:
        assert km in execute._kernels
        execute._kill_kernels()
        assert km.provisioner.process.wait(timeout=30) == -signal.SIGKILL
    finally:
        run_sync(km.shutdown_kernel)(now=True)
        run_sync(km.cleanup_resources)()
    assert km not in execute._kernels
