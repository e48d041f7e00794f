"""Every hostile file of the test corpus against every command, each in its own process (issue 12).

    python -m benchmarks.hostile_matrix [--folder out/matrix] [--jobs 2] [--only far-cell]

Each run gets a 4 GB address-space limit (RLIMIT_AS) and 30 s of CPU (RLIMIT_CPU); it must end by itself with exit status
0, 1 or 2, print no traceback, say an exit-2 refusal in one line, and peak under 1 GB of resident memory.
The test suite runs the same files in-process for every command and in real processes for a subset
(tests/test_hostile_input.py); this is the exhaustive matrix, too slow for the suite (docs/decisions.md).
Prints one line per violation and a summary; exit status 1 when any run broke a promise.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time
from pathlib import Path

from tests import corpus
from tests.test_hostile_input import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 30
ADDRESS_SPACE = 4 * 2**30
PEAK_LIMIT = 2**30

RUN = f"""
import atexit, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))
resource.setrlimit(resource.RLIMIT_CPU, ({SECONDS}, {SECONDS}))  # 30 s of CPU, whatever the machine's load
atexit.register(lambda: open(os.environ["WBE_PEAK_FILE"], "w").write(
    str(int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024)))  # VmHWM: not inherited over exec
sys.argv = ["wbe", *sys.argv[1:]]
from workbook_engine.__main__ import main
main()
"""


def files(folder: Path, only: str | None) -> dict[str, Path]:
    builders = {**corpus.REFUSED, **corpus.DECLARED,
                **{name: build for name, (build, _) in corpus.UNSTORABLE_TEXT.items()}}
    built = {}
    for name, build in builders.items():
        if only and only not in name:
            continue
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        built[name] = build(target)
    return built


def run(case: str, command: str, path: Path, folder: Path) -> tuple[str, str, list[str], float]:
    out = folder / "out" / f"{case}-{command}"
    out.mkdir(parents=True, exist_ok=True)
    peak_file = out / "peak"
    argv = COMMANDS[command](path, out)
    start = time.monotonic()
    problems = []
    try:
        result = subprocess.run([sys.executable, "-c", RUN, *argv], capture_output=True, text=True, cwd=ROOT,
                                timeout=20 * SECONDS, env={**os.environ, "WBE_PEAK_FILE": str(peak_file)},
                                check=False)
    except subprocess.TimeoutExpired:
        return case, command, [f"did not end within {20 * SECONDS} s of wall time"], float(20 * SECONDS)
    seconds = time.monotonic() - start
    if result.returncode == -24:  # SIGXCPU
        problems.append(f"more than {SECONDS} s of CPU")
    elif result.returncode not in (0, 1, 2):
        problems.append(f"exit {result.returncode}")
    if "Traceback" in result.stderr or "Exception ignored" in result.stderr:
        problems.append("traceback: " + result.stderr.strip().splitlines()[-1][:160])
    if result.returncode == 2 and len(result.stderr.strip().splitlines()) != 1:
        problems.append(f"{len(result.stderr.strip().splitlines())} lines on stderr")
    if peak_file.exists() and int(peak_file.read_text()) >= PEAK_LIMIT:
        problems.append(f"peak {int(peak_file.read_text()) / 2**20:.0f} MB")
    return case, command, problems, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("out/matrix"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="only the corpus files whose name contains this")
    args = parser.parse_args()
    folder = args.folder.resolve()
    built = files(folder / "files", args.only)
    if "no-read-permission" in built:  # root reads anything; the in-process test simulates it instead
        del built["no-read-permission"]
    runs = [(case, command, path) for case, path in built.items() for command in COMMANDS]
    slowest = (0.0, "")
    broken = 0

    def run_one(case_run: tuple[str, str, Path]) -> tuple[str, str, list[str], float]:
        return run(*case_run, folder)

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for case, command, problems, seconds in pool.map(run_one, runs):
            slowest = max(slowest, (seconds, f"{case} / {command}"))
            if problems:
                broken += 1
                print(f"BROKEN {case} / {command}: {'; '.join(problems)}", flush=True)
    print(f"{len(runs)} runs ({len(built)} files x {len(COMMANDS)} commands), {broken} broke a promise; "
          f"slowest {slowest[0]:.1f} s ({slowest[1]}).")
    raise SystemExit(1 if broken else 0)


if __name__ == "__main__":
    main()
