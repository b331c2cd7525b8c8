"""A sampling profiler for the bot process, used by `bench/hotpath.py --profile FILE`.

`python bench/sampler.py OUT <safetybot arguments>` runs `safetybot` (bot.cli.main) with a SIGPROF timer
(ITIMER_PROF: it ticks with the CPU time of the whole process) whose handler records the main thread's
Python stack, coroutines included and stitched across SQLAlchemy's greenlets. SIGUSR1 starts sampling;
SIGUSR2 stops it and writes the stacks to OUT in folded form (`frame;frame;... count` per line, root
first), which flamegraph.pl and speedscope read. Other threads block SIGPROF, so every tick lands on
the main thread; a tick that finds it waiting in epoll paid for another thread (the aiosqlite worker)
and is recorded as OTHER_THREADS. Unlike cProfile this neither inflates call-heavy code nor gets
confused by coroutines and greenlets.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

INTERVAL = 0.001  # seconds of process CPU time between samples (the kernel rounds up to its tick)
OTHER_THREADS = "[other threads]"
ROOT = Path(__file__).resolve().parent.parent
OWN_PACKAGES = ("bot", "handlers", "storage", "schedules")


def code_label(code: CodeType) -> str:
    """Name a function as `qualname (path:first line)`, the path short."""
    path = code.co_filename
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif path.startswith(f"{ROOT}/"):
        path = path[len(str(ROOT)) + 1 :]
    elif "/lib/python3" in path:
        path = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{code.co_qualname} ({path}:{code.co_firstlineno})"


class Sampler:
    """Collects the main thread's stacks on SIGPROF between SIGUSR1 and SIGUSR2."""

    def __init__(self, out: Path) -> None:
        """Prepare to write the folded stacks to `out`."""
        self.out = out
        self.stacks: Counter[tuple[str, ...]] = Counter()
        self.labels: dict[CodeType, str] = {}
        try:
            import greenlet
        except ImportError:
            self.current_greenlet: Callable[[], Any] | None = None
        else:
            self.current_greenlet = greenlet.getcurrent

    def install(self) -> None:
        """Block SIGPROF in every other thread and hook the start and stop signals."""
        original_run = threading.Thread.run

        def run_without_sigprof(thread: threading.Thread) -> None:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
            original_run(thread)

        threading.Thread.run = run_without_sigprof  # type: ignore[method-assign,assignment]
        signal.signal(signal.SIGPROF, self.sample)
        signal.signal(signal.SIGUSR1, self.start)
        signal.signal(signal.SIGUSR2, self.stop)

    def start(self, signum: int, frame: FrameType | None) -> None:
        """Start the CPU-time timer."""
        self.stacks.clear()
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        """Stop the timer and write the stacks."""
        signal.setitimer(signal.ITIMER_PROF, 0)
        lines = [f"{';'.join(stack)} {count}" for stack, count in self.stacks.most_common()]
        tmp = self.out.with_name(self.out.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(self.out)

    def _label(self, code: CodeType) -> str:
        label = self.labels.get(code)
        if label is None:
            label = self.labels[code] = code_label(code)
        return label

    def sample(self, signum: int, frame: FrameType | None) -> None:
        """Record the interrupted stack (leaf last), or OTHER_THREADS when the loop was waiting."""
        if frame is None or (
            frame.f_code.co_name == "select" and frame.f_code.co_filename.endswith("selectors.py")
        ):
            self.stacks[(OTHER_THREADS,)] += 1
            return
        labels: list[str] = []
        f: FrameType | None = frame
        while f is not None:
            labels.append(self._label(f.f_code))
            f = f.f_back
        if self.current_greenlet is not None:
            glet = self.current_greenlet()
            while glet.parent is not None:  # inside a greenlet: go on in the greenlet that switched to it
                glet = glet.parent
                f = glet.gr_frame
                while f is not None:
                    labels.append(self._label(f.f_code))
                    f = f.f_back
        labels.reverse()
        self.stacks[tuple(labels)] += 1


def package(label: str) -> str:
    """Name the package of a frame label made by code_label."""
    path = label.rpartition(" (")[2]
    top = path.split("/", 1)[0].removesuffix(")").split(":", 1)[0].removesuffix(".py")
    if top in OWN_PACKAGES:
        return "safetybot"
    if path.startswith("<frozen importlib"):
        return "importlib"
    return {"telegram": "telegram (PTB)", "httpx": "httpx+httpcore", "httpcore": "httpx+httpcore"}.get(
        top, top
    )


def report(path: Path, n: int, cpu_ms: float, top: int = 25) -> None:
    """Print where the sampled CPU (cpu_ms per update in all) went: by package and by function."""
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, number = line.rpartition(" ")
        if stack:
            stacks.append((stack.split(";"), int(number)))
    total = sum(count for _, count in stacks)
    if not total:
        print("no samples")
        return
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        for label in set(frames):
            inclusive[label] += count
        own[package(frames[-1]) if frames[-1] != OTHER_THREADS else OTHER_THREADS] += count
    print(f"\nsampled the bot's CPU over {n} updates: {total} samples, {total / n:.1f} per update")
    print("own CPU by package (the Python frame running; C calls count for their caller):")
    for name, count in own.most_common():
        if count / total >= 0.005:
            print(f"  {name:24s} {count / total:6.1%} {count / total * cpu_ms:6.3f} ms")

    def row(label: str, count: int) -> str:
        return f"  {count / total:6.1%} {count / total * cpu_ms:6.3f} ms  {label}"

    print("the bot's own functions, inclusive (% of the process's CPU and ms of CPU per update):")
    own_rows = [(label, count) for label, count in inclusive.most_common() if package(label) == "safetybot"]
    for label, count in own_rows[:top]:
        print(row(label, count))
    libraries = {"sqlalchemy", "telegram (PTB)", "httpx+httpcore", "h11", "anyio", "aiosqlite", "logging"}
    print(
        f"top {top} library functions, inclusive (a run of callers and callees with the same share is one row):"
    )
    rows: list[list[Any]] = []
    for label, count in inclusive.most_common():
        if package(label) not in libraries:
            continue
        if rows and rows[-1][1] - count <= total * 0.002:
            rows[-1][2] += 1
            continue
        if len(rows) == top:
            break
        rows.append([label, count, 0])
    for label, count, same in rows:
        more = f"  (+{same} with the same share)" if same else ""
        print(row(label, count) + more)


def main() -> int:
    """Run `safetybot` with the sampler installed."""
    if len(sys.argv) < 3:
        print("usage: sampler.py OUT <safetybot arguments>", file=sys.stderr)
        return 2
    Sampler(Path(sys.argv[1])).install()
    from bot.cli import main as safetybot

    return safetybot(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
