"""Where a server's CPU goes while a benchmark drives it: py-spy attached to its process.

``sampling(pid, out)`` runs ``py-spy record`` on the process for as long as the ``with`` block
lasts, writing the samples as collapsed stacks (one line per distinct stack: frames separated
by ``;``, then a space and the count); ``top_entries(out)`` reads them back as the functions
that hold the CPU most, by their own time (the frame on top of the stack) and by their total
time (anywhere in the stack). py-spy samples without pausing the process (``--nonblocking``)
and leaves idle threads out, so the counts are CPU, not waiting. ``PY_SPY_ARGS`` in the
environment adds options (``--gil``: only the samples that hold the GIL, i.e. Python's own
CPU, leaving out a thread blocked in a system call that the kernel did not mark idle).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SAMPLES_PER_SECOND = 250
# py-spy names a frame "function (path/to/file.py:line)"; the line number splits a function
# into as many entries as it has lines, so it is dropped, and the path kept from the package.
FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>.*?)(?::\d+)?\)$")
PACKAGE_ROOTS = ("site-packages/", "lib/python3.", "/wt-", "/work/main/")


@contextmanager
def sampling(pid: int, out: Path) -> Iterator[None]:
    """py-spy recording ``pid`` into ``out`` (collapsed stacks) while the block runs."""
    py_spy = Path(sys.executable).with_name("py-spy")
    command = [str(py_spy), "record", "--pid", str(pid), "--format", "raw", "--output", str(out)]
    command += ["--rate", str(SAMPLES_PER_SECOND), "--nonblocking"]
    command += os.environ.get("PY_SPY_ARGS", "").split()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        _, errors = process.communicate(timeout=60)
        if not out.exists():
            print(f"py-spy wrote nothing: {errors.decode(errors='replace')}", file=sys.stderr)


def short(frame: str) -> str:
    """``function (file)`` with the file's path from its package and without the line."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["path"]
    for root in PACKAGE_ROOTS:
        if root in path:
            path = path.split(root, 1)[1]
            path = path.split("/", 1)[1] if root in ("lib/python3.", "/wt-") else path
            break
    return f"{match['function']} ({path})"


def top_entries(out: Path, count: int = 25) -> dict[str, list[tuple[str, float]]]:
    """The ``count`` functions with the most samples, by own and by total time, as shares
    of all samples (a function counted once per stack however often it recurs)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in out.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        weight = int(number)
        frames = [short(frame) for frame in stack.split(";")]
        # The first frame is the thread ("process 1 ..."/"thread ..."): not a function.
        frames = [frame for frame in frames if " (" in frame] or frames
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    if not samples:
        return {"own": [], "total": []}
    return {
        name: [(frame, round(n / samples, 4)) for frame, n in counter.most_common(count)]
        for name, counter in (("own", own), ("total", total))
    }


def print_top(out: Path, count: int = 25) -> None:
    entries = top_entries(out, count)
    for name, rows in entries.items():
        print(f"py-spy, top {count} by {name} CPU ({out}):", file=sys.stderr)
        for frame, share in rows:
            print(f"  {100 * share:5.1f} %  {frame}", file=sys.stderr)
