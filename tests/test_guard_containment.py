"""The contained readers (io/containment.py): whatever a reader does on bad input (raise, abort, allocate
without end, run on) becomes one coded Chinese line, never a signal or a traceback in this process."""

from __future__ import annotations

import os
import time

import pytest

from workbook_engine.errors import InputUnreadable, UnsafeInput, WorkbookEngineError
from workbook_engine.findings import CATALOGUE, ERROR, INPUT_CODES
from workbook_engine.io import containment

pytestmark = pytest.mark.skipif(not containment.enabled(), reason="containment needs fork")


def _refused(function, **env) -> WorkbookEngineError:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with pytest.raises(WorkbookEngineError) as caught:
            containment.run_contained(function, path="坏.xlsx", what="读取工作簿")
    message = str(caught.value)
    assert message.startswith("坏.xlsx：") and "\n" not in message and "Traceback" not in message
    return caught.value


def _raise():
    raise ValueError("bad offset")


def _abort():
    os.abort()


def _allocate():
    return bytearray(8 * 1024 * 1024 * 1024)


def _run_on():
    time.sleep(30)


def test_a_reader_exception_is_i010_naming_it():
    error = _refused(_raise)
    assert isinstance(error, InputUnreadable) and error.code == "WBE-I010" and "bad offset" in str(error)


def test_an_abort_is_i011_not_a_signal_here():
    error = _refused(_abort)
    assert isinstance(error, UnsafeInput) and error.code == "WBE-I011"


def test_an_allocation_past_the_memory_limit_is_i011_with_the_limit():
    error = _refused(_allocate, WBE_READER_MEMORY_MB="256")
    assert error.code == "WBE-I011" and "256 MB" in str(error)


def test_a_reader_past_the_deadline_is_i012_and_stops_at_once():
    started = time.monotonic()
    error = _refused(_run_on, WBE_READER_SECONDS="1")
    assert error.code == "WBE-I012" and time.monotonic() - started < 10


def test_a_result_comes_back_when_nothing_goes_wrong():
    assert containment.run_contained(lambda: sum(range(10)), path="好.xlsx", what="读取工作簿") == 45


def test_limits_are_configurable_and_bad_values_fall_back(monkeypatch):
    monkeypatch.setenv(containment.MEMORY_ENV, "300")
    monkeypatch.setenv(containment.SECONDS_ENV, "abc")
    assert containment.limits() == containment.Limits(300, containment.DEFAULT_SECONDS)


def test_input_codes_are_errors_of_their_own_section():
    assert INPUT_CODES and all(code.startswith("WBE-I") for code in INPUT_CODES)
    assert {CATALOGUE[code].severity for code in INPUT_CODES} == {ERROR}


_STORM = '''
import multiprocessing, signal, sys, time
from workbook_engine.io import containment

class Storm(Exception):
    pass

armed = False

def on_interrupt(signum, frame):
    global armed
    if armed:  # like the CLI's handler, it raises into whatever code runs; once per call
        armed = False
        raise Storm()

def idle():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    time.sleep(30)

if __name__ == "__main__":
    sleeper = multiprocessing.get_context("fork").Process(target=idle)
    sleeper.start()  # a multiprocessing child, as the CLI has its worker pool
    signal.signal(signal.SIGINT, on_interrupt)
    end = time.monotonic() + float(sys.argv[1])
    calls = 0
    while time.monotonic() < end:
        try:
            armed = True
            containment.run_contained(lambda: 1, path="x.xlsx", what="读取工作簿")
            armed = False
            calls += 1
        except Storm:
            pass
    armed = False
    sleeper.terminate()
    sleeper.join()
    print("done", calls, flush=True)
'''


def test_ctrl_c_to_the_whole_group_never_runs_parent_code_in_a_child(tmp_path):
    """A terminal's Ctrl-C reaches the just-forked child too; it must never unwind into the parent's code (a
    second "parent" that prints and runs the exit handlers: the CI failure of test_extract_in_workers)."""
    import signal
    import subprocess
    import sys

    script = tmp_path / "storm.py"
    script.write_text(_STORM, encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(script), "3"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(0.8)
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < 2.0:
        try:
            os.killpg(process.pid, signal.SIGINT)
        except ProcessLookupError:
            break
        time.sleep(0.002)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("done "), out
    assert int(lines[0].split()[1]) > 0
