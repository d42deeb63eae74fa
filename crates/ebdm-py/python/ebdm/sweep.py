"""Sweeps: a study or an acceptance experiment over a grid of parameters × seeds, run as
deterministic tasks on this machine, on a Dask cluster, on Ray, or with any
``concurrent.futures`` executor, with the same results wherever they run.

A sweep file (TOML) is the one shared by ``ebdm sweep`` on the command line::

    name = "hebb-recall"
    study = "memory/recall"        # or: experiment = "memory/E1"
    seed = 0
    replicates = 4                 # or: seeds = [0, 1, 2]

    [fixed]
    neurons = 200

    [grid]
    rule = ["hebb", "storkey"]
    patterns = [10, 20, 30]

Task ``t`` depends only on the sweep and ``t``. Results are appended to the shard file
``OUT/tasks-I-of-N.jsonl`` as tasks finish, so a run that is stopped (Ctrl-C, a killed worker,
a lost job) resumes without redoing finished tasks; :func:`merge` writes ``OUT/merged.jsonl``,
the same bytes whether the tasks ran in one process, as ``ebdm sweep run --shard I/N`` jobs, or
on a cluster.

>>> import ebdm.sweep
>>> s = ebdm.sweep.Sweep('study = "memory/recall"\\n[grid]\\npatterns = [5, 10]')
>>> s.tasks
2
>>> s.task(1)["params"]["patterns"]
10

ebdm schedules nothing itself: the engines (Dask, Ray, Slurm) schedule, ebdm computes tasks.
The engines are imported only when asked for.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from ._ebdm import ShardFile, Sweep, list_studies
from ._ebdm import sweep_merge as _merge
from ._ebdm import sweep_run_local as _run_local
from ._ebdm import sweep_status as _status

__all__ = ["Sweep", "ShardFile", "load", "run", "run_task", "merge", "status", "records", "list_studies"]


def load(sweep: "Sweep | str | os.PathLike") -> Sweep:
    """A :class:`Sweep` from a sweep object or the path of a sweep file."""
    if isinstance(sweep, Sweep):
        return sweep
    return Sweep.read(os.fspath(sweep))


def run_task(sweep: Sweep, index: int, threads: int = 1, data: "str | None" = None) -> "str | None":
    """Runs task ``index`` (on a worker) and returns its record line, or None if interrupted."""
    return sweep.run_task(index, threads=threads, data=data)


def _out(sweep: Sweep, out: "str | os.PathLike | None") -> str:
    return os.fspath(out) if out is not None else os.fspath(sweep.default_out)


def run(
    sweep: "Sweep | str | os.PathLike",
    out: "str | os.PathLike | None" = None,
    *,
    shard: str = "1/1",
    client: Any = None,
    ray: bool = False,
    executor: Any = None,
    threads: "int | None" = None,
    task_threads: int = 1,
    data: "str | None" = None,
) -> dict:
    """Runs the tasks of ``shard`` that ``out`` does not hold yet and appends their records.

    - default: in this process, tasks in parallel on ``threads`` threads (all cores by default),
      with the GIL released, exactly as ``ebdm sweep run`` does;
    - ``client``: a ``dask.distributed.Client``; one Dask task per sweep task;
    - ``ray=True``: one Ray task per sweep task (Ray must be initialised or able to start);
    - ``executor``: any ``concurrent.futures.Executor`` (for example a ``ProcessPoolExecutor``).

    Distributed tasks run on ``task_threads`` threads each (default 1, as the scheduler runs
    tasks side by side). Records are written by this process as tasks finish; if the run stops
    (Ctrl-C, an error), finished tasks stay in the file and the next call runs the rest.

    Returns a dict with ``path`` (the shard file), ``ran`` (tasks run now) and ``left``.
    """
    sweep = load(sweep)
    out = _out(sweep, out)
    engines = [client is not None, bool(ray), executor is not None]
    if sum(engines) > 1:
        raise ValueError("give at most one of client (Dask), ray=True and executor")
    file = ShardFile(sweep, out, shard)
    if not any(engines):
        ran = _run_local(sweep, file, threads=threads, data=data)
        return {"path": os.fspath(file.path), "ran": ran, "left": len(file.pending())}
    pending = file.pending()
    if client is not None:
        lines = _dask(client, sweep, pending, task_threads, data)
    elif ray:
        lines = _ray(sweep, pending, task_threads, data)
    else:
        lines = _executor(executor, sweep, pending, task_threads, data)
    ran = 0
    for line in lines:
        if line is not None:
            file.append(line)
            ran += 1
    return {"path": os.fspath(file.path), "ran": ran, "left": len(file.pending())}


def _dask(client: Any, sweep: Sweep, pending: list, task_threads: int, data: "str | None") -> Iterable:
    import uuid

    from distributed import as_completed

    # Keys unique to this call: a key reused from an earlier (cancelled) call would collide.
    run_id = uuid.uuid4().hex[:8]
    futures = client.map(
        run_task,
        [sweep] * len(pending),
        pending,
        threads=task_threads,
        data=data,
        key=[f"ebdm-sweep-{sweep.name}-{run_id}-{t}" for t in pending],
        pure=False,
    )
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)


def _ray(sweep: Sweep, pending: list, task_threads: int, data: "str | None") -> Iterable:
    import ray

    if not ray.is_initialized():
        ray.init()
    remote = ray.remote(run_task)
    refs = [remote.remote(sweep, t, task_threads, data) for t in pending]
    try:
        while refs:
            ready, refs = ray.wait(refs, num_returns=1)
            yield ray.get(ready[0])
    finally:
        for r in refs:
            ray.cancel(r)


def _executor(executor: Any, sweep: Sweep, pending: list, task_threads: int, data: "str | None") -> Iterable:
    from concurrent.futures import as_completed

    futures = [executor.submit(run_task, sweep, t, task_threads, data) for t in pending]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for f in futures:
            f.cancel()


def merge(sweep: "Sweep | str | os.PathLike", out: "str | os.PathLike | None" = None, partial: bool = False) -> str:
    """Merges the shard files in ``out`` into ``out/merged.jsonl`` (task order, no timings) and
    returns its path. Missing tasks raise ``ValueError`` unless ``partial``."""
    sweep = load(sweep)
    return os.fspath(_merge(sweep, _out(sweep, out), partial))


def status(sweep: "Sweep | str | os.PathLike", out: "str | os.PathLike | None" = None) -> dict:
    """How far the sweep got: ``tasks``, ``done``, ``missing``, ``shards``, ``merged``."""
    sweep = load(sweep)
    return _status(sweep, _out(sweep, out))


def records(path: "str | os.PathLike") -> list:
    """The task records of a results file (merged or shard), as dicts with ``task``, ``cell``,
    ``replicate``, ``seed``, ``params`` and ``result``; ``pandas.json_normalize(records(p))``
    gives one row per task with ``params.*`` and ``result.*`` columns."""
    import json

    with open(path, encoding="utf-8") as f:
        text = f.read()
    # A shard file's last line may have been cut short by a killed run; it is not a record.
    lines = text.split("\n")[1:-1]
    return [json.loads(line) for line in lines]
