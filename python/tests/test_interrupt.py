"""Long computations release the GIL and stop promptly on Ctrl-C."""

import _thread
import signal
import threading
import time

import numpy as np
import pytest

import ebdm
from ebdm import experiments


@pytest.fixture(autouse=True)
def python_handles_sigint():
    # A process started in the background of a non-interactive shell inherits SIGINT as
    # ignored, and then Python installs no handler and `interrupt_main` does nothing; Ctrl-C
    # handling is what is under test, so make sure Python's own handler is in place.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_after(seconds):
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def test_ctrl_c_stops_an_experiment_promptly():
    # About a minute of work uninterrupted; Ctrl-C must end it within a trial or two.
    timer = interrupt_after(0.3)
    start = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            experiments.capacity(neurons=[500], alphas=[0.2], trials=5000, seed=1)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 5.0


def test_ctrl_c_stops_a_batch_and_other_threads_run_meanwhile():
    p = ebdm.random_patterns(60, 400, seed=0)
    net = ebdm.Hopfield(p)
    cues = ebdm.corrupt(np.repeat(p, 200, axis=0), 0.45, seed=1)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    other = threading.Thread(target=ticker)
    other.start()
    timer = interrupt_after(0.5)
    start = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            net.retrieve(cues, order="permutation", max_sweeps=1000, threads=2)
    finally:
        timer.cancel()
        stop.set()
        other.join()
    assert time.perf_counter() - start < 5.0
    assert len(ticks) >= 10  # the GIL was released while the batch ran
