"""Every ratio of issue 15 from one run: whole `wbe` processes beside their yardsticks, medians, peak memory.

    python3 -m benchmarks.bench_ratios [--repeat 5] [--scale 1] [--scaling] [--only validate,merge]

Generates what it needs under out/ (benchmarks/generate.py: county_book and split_by_department): the
county workbook (100 departments, 2,000 projects and 30,000 indicators times --scale) and its 100
department workbooks for merge. Each measurement
is a fresh process (interpreter start-up and imports included), run round-robin with its yardstick in the
same repetition so that the load of a shared machine weighs on both alike; the table shows medians.
Peak memory is the larger of the command's own peak (GNU time's %M, "Maximum resident set size"; a child
forked from this script would inherit its ru_maxrss) and the sum of resident memory over the command and
its worker processes, sampled every 50 ms. `wbe` is run as `python3 -m workbook_engine` from the current directory, which is the
checkout being measured (the installed `wbe` script may point elsewhere).

--scaling runs validate and merge at 1x and 10x county scale (20,000 projects, 300,000 indicators) and
states how time and memory grow.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path("out")
SAMPLE = Path("workbooks/leting-emergency-2024.xlsx")
WBE = [sys.executable, "-m", "workbook_engine"]
TYPER_APP = '''import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
'''


def read_all(engine: str | None, path: Path) -> list[str]:
    """A yardstick: pandas reading every sheet of ``path`` (with ``engine``; None is pandas' default, openpyxl)."""
    call = f"pd.read_excel({str(path)!r}, sheet_name=None{'' if engine is None else f', engine={engine!r}'})"
    return [sys.executable, "-c", f"import pandas as pd; {call}"]


@dataclass
class Runs:
    """Wall times (s) and peak memory (MB) of repeated runs of one command."""

    command: list[str]
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> float:
        return max(self.peaks)


TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
_PEAK_FILE = Path(tempfile.gettempdir()) / f"wbe-ratios-peak-{os.getpid()}.txt"


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now (MB), from /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    parents[int(entry.name)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024


def run_once(command: list[str], runs: Runs, ok: tuple[int, ...] = (0, 1)) -> None:
    """Run ``command`` in a fresh process; record its wall time and peak RSS (the larger of the process's
    own peak and the sampled sum over it and its worker processes, for commands that start a pool)."""
    # GNU time reports the child's own peak: ru_maxrss of a child forked from this (large) process would
    # start at this process's size.
    timed = [TIME, "-f", "%M", "-o", str(_PEAK_FILE), *command] if TIME else command
    start = time.perf_counter()
    proc = subprocess.Popen(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree_peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            tree_peak[0] = max(tree_peak[0], _tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr and proc.stderr.close()
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{stderr[-2000:]}")
    runs.walls.append(wall)
    own_peak = usage.ru_maxrss / 1024  # kB on Linux
    if TIME:
        try:
            own_peak = int(_PEAK_FILE.read_text().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
    runs.peaks.append(max(own_peak, tree_peak[0]))


def measure(commands: dict[str, list[str]], repeat: int, warm: bool = True) -> dict[str, Runs]:
    """Median over ``repeat`` round-robin repetitions of every command (one warm-up round first)."""
    results = {name: Runs(cmd) for name, cmd in commands.items()}
    if warm:
        for cmd in commands.values():
            run_once(cmd, Runs(cmd))
    for round_number in range(repeat):
        for name, runs in results.items():
            run_once(runs.command, runs)
            print(f"round {round_number + 1}/{repeat}: {name} {runs.walls[-1]:.2f} s", file=sys.stderr, flush=True)
    return results


def county(scale: int) -> Path:
    """The county workbook at ``scale`` (generated when missing)."""
    from workbook_engine.canonical_writer import write_book

    from .generate import county_book

    path = OUT / ("county.xlsx" if scale == 1 else f"county-x{scale}.xlsx")
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} …", file=sys.stderr)
        write_book(county_book(100, 2000 * scale, 30000 * scale), path)
    return path


def departments(scale: int) -> list[Path]:
    """The county's 100 department workbooks at ``scale``, for merge (generated when missing)."""
    from .bench_merge import department_workbooks

    folder = OUT / ("departments" if scale == 1 else f"departments-x{scale}")
    if not (folder.exists() and len(list(folder.glob("*.xlsx"))) == 100):
        print(f"generating {folder}/ …", file=sys.stderr)
    return department_workbooks(folder, 100, 20 * scale, 15)


@dataclass
class Row:
    what: str
    command: str
    ours: str
    yardstick: str | None
    target: float | None  # ratio ours/yardstick, or absolute seconds when yardstick is None


def table(rows: list[Row], results: dict[str, Runs]) -> None:
    print("| what | wbe s | yardstick | yardstick s | ratio | target | holds | wbe peak MB | yardstick peak MB |")
    print("| --- | ---: | --- | ---: | ---: | ---: | :---: | ---: | ---: |")
    for row in rows:
        ours = results[row.ours]
        if row.yardstick is None:
            ratio, target = "", (f"≤ {row.target:.1f} s" if row.target is not None else "")
            holds = "" if row.target is None else ("yes" if ours.wall <= row.target else "no")
            print(f"| {row.what} | {ours.wall:.2f} | — | | {ratio} | {target} | {holds} | {ours.peak:.0f} | |")
            continue
        yard = results[row.yardstick]
        assert row.target is not None  # a row with a yardstick has a ratio target
        times = ours.wall / yard.wall
        holds = "yes" if times <= row.target else "no"
        memory = "" if ours.peak < 400 else " (≥ 400 MB)"
        print(f"| {row.what} | {ours.wall:.2f} | {row.yardstick} | {yard.wall:.2f} | {times:.2f}× | "
              f"≤ {row.target:.1f}× | {holds} | {ours.peak:.0f}{memory} | {yard.peak:.0f} |")
    print()
    print("Commands:")
    for name, runs in results.items():
        print(f"- {name}: `{shown(runs.command)}`")


def shown(command: list[str]) -> str:
    """A command as typed, with `python3` for the interpreter and long input lists cut short."""
    words = ["python3" if c == sys.executable else str(c) for c in command]
    if len(words) > 12:
        words = [*words[:6], "…", *words[-3:]]
    return " ".join(words)


def ratios(args, work: Path) -> None:
    book = county(args.scale)
    depts = departments(args.scale)
    typer_app = work / "typer_app.py"
    typer_app.write_text(TYPER_APP, encoding="utf-8")
    rendered = work / "official"
    extracted = work / "extracted.xlsx"
    merged = work / "merged.xlsx"
    # Outputs the extract and merge yardsticks read, made once before timing.
    subprocess.run(WBE + ["render", str(book), "-o", f"{rendered}/", "--overwrite"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(WBE + ["merge", *map(str, depts), "-o", str(merged), "--overwrite"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    commands = {
        "wbe --help": WBE + ["--help"],
        "typer app --help": [sys.executable, str(typer_app), "--help"],
        "wbe validate sample": WBE + ["validate", str(SAMPLE)],
        "wbe validate --format json": WBE + ["validate", str(book), "--format", "json"],
        "wbe validate --no-review --format json": WBE + ["validate", str(book), "--no-review", "--format", "json"],
        "pandas openpyxl read": read_all(None, book),
        "pandas calamine read": read_all("calamine", book),
        "wbe render": WBE + ["render", str(book), "-o", f"{rendered}/", "--overwrite"],
        "wbe extract": WBE + ["extract", str(rendered), "-o", str(extracted), "--overwrite"],
        "wbe merge": WBE + ["merge", *map(str, depts), "-o", str(merged), "--overwrite"],
        "pandas openpyxl read of merged": read_all(None, merged),
    }
    if args.only:
        wanted = set(args.only.split(","))
        commands = {k: v for k, v in commands.items() if any(w in k for w in wanted) or "pandas" in k
                    or "typer" in k}
    results = measure(commands, args.repeat)
    rows = [
        Row("`wbe --help`", "", "wbe --help", "typer app --help", 1.5),
        Row("`wbe validate` of the shipped sample", "", "wbe validate sample", None, 1.0),
        Row("`wbe validate --format json` (with review)", "", "wbe validate --format json",
            "pandas openpyxl read", 0.3),
        Row("`wbe validate --no-review --format json`", "", "wbe validate --no-review --format json",
            "pandas calamine read", 1.5),
        Row("`wbe render` → 100 official workbooks", "", "wbe render", "pandas openpyxl read", 0.8),
        Row("`wbe extract` of those 100 workbooks", "", "wbe extract", "pandas openpyxl read", 0.6),
        Row("`wbe merge` of 100 department workbooks", "", "wbe merge", "pandas openpyxl read of merged", 1.0),
    ]
    rows = [r for r in rows if r.ours in results and (r.yardstick is None or r.yardstick in results)]
    print(f"Workbook {book} ({book.stat().st_size / 1e6:.1f} MB), scale {args.scale}; "
          f"machine {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {args.repeat} round-robin runs, load average {os.getloadavg()[0]:.1f} at the end")
    print()
    table(rows, results)


def scaling(args, work: Path) -> None:
    """validate and merge at 1x and 10x: time and peak memory, and whether growth is linear."""
    merged = {s: work / f"merged-x{s}.xlsx" for s in (1, 10)}
    commands = {}
    for s in (1, 10):
        book, depts = county(s), departments(s)
        commands[f"validate x{s}"] = WBE + ["validate", str(book), "--format", "json"]
        commands[f"validate --no-review x{s}"] = WBE + ["validate", str(book), "--no-review", "--format", "json"]
        commands[f"merge x{s}"] = WBE + ["merge", *map(str, depts), "-o", str(merged[s]), "--overwrite"]
    commands["start-up (wbe --help)"] = WBE + ["--help"]
    results = measure(commands, args.repeat, warm=False)
    startup = results["start-up (wbe --help)"].wall
    print(f"Scaling, median of {args.repeat} round-robin runs; start-up (`wbe --help`) {startup:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print("| command | 1× s | 10× s | time growth | time growth less start-up | 1× MB | 10× MB | memory growth |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    verdicts = []
    for name in ("validate", "validate --no-review", "merge"):
        one, ten = results[f"{name} x1"], results[f"{name} x10"]
        growth = ten.wall / one.wall
        net = (ten.wall - startup) / max(one.wall - startup, 1e-6)
        memory = ten.peak / one.peak
        print(f"| wbe {name} | {one.wall:.2f} | {ten.wall:.2f} | {growth:.1f}× | {net:.1f}× | {one.peak:.0f} | "
              f"{ten.peak:.0f} | {memory:.1f}× |")
        verdicts.append(f"wbe {name}: 10× the data takes {net:.1f}× the time after start-up "
                        f"({'linear or better' if net <= 11 else 'worse than linear'}) and {memory:.1f}× the memory")
    print()
    for line in verdicts:
        print(f"- {line}")
    print("\nCommands:")
    for name, runs in results.items():
        print(f"- {name}: `{shown(runs.command)}`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=int, default=1, help="county size: 1 = 2,000 projects, 30,000 indicators")
    parser.add_argument("--scaling", action="store_true", help="validate and merge at 1× and 10× scale instead")
    parser.add_argument("--only", help="comma-separated parts of command names to run (e.g. validate,merge)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wbe-ratios-"))
    try:
        scaling(args, work) if args.scaling else ratios(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
