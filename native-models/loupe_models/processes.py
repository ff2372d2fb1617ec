"""Run independent jobs (training, consensus labelling) at once, each in a forked process with its own share of the threads.

Why forked processes and not threads of one process: on two cores a tiny model's matmuls do not keep
two threads busy (two threads train 1.6x as fast as one, not 2x), so two jobs with one thread each
get more done in all. Forking (not spawning) lets every job read the parent's scenes, 12 GB for the
students, without copying or rebuilding them.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import traceback
from collections.abc import Callable

import torch


class TrainingProcessError(RuntimeError):
    """A forked training job failed; the message carries each failed job's traceback."""


def run_forked(jobs: list[Callable[[], list]], threads: int, log: Callable[[str], None]) -> list:
    """Run every job at once in its own forked process with `threads` threads; return their results
    (each job returns a list: its loss history), concatenated in job order. Waits for every job, so a
    failing one does not abandon the others' work (each caches its own result), then raises."""
    ctx = mp.get_context("fork")
    running = []
    for job in jobs:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run_child, args=(job, threads, send))
        proc.start()
        send.close()  # the child holds the only writer: a child that dies closes it, and recv() ends
        running.append((proc, recv))
    log(f"running {len(jobs)} jobs at once, {threads} thread(s) each (pids {', '.join(str(p.pid) for p, _ in running)})")
    results: list = []
    failures: list[str] = []
    for k, (proc, recv) in enumerate(running):
        try:
            ok, value = pickle.loads(recv.recv_bytes())
        except EOFError:
            ok, value = False, "the process ended without a result"
        proc.join()
        if ok and proc.exitcode == 0:
            results.extend(value)
        else:
            failures.append(f"job {k} (pid {proc.pid}, exit code {proc.exitcode}): {value}")
    if failures:
        raise TrainingProcessError("training jobs failed:\n" + "\n".join(failures))
    return results


def _run_child(job: Callable[[], list], threads: int, send) -> None:
    torch.set_num_threads(threads)
    try:
        result = job()
    except BaseException:
        send.send_bytes(pickle.dumps((False, traceback.format_exc())))
        send.close()
        raise
    # plain pickle, by value: multiprocessing's own pickler would pass tensors as shared-memory
    # handles, which die with this process before the parent opens them
    send.send_bytes(pickle.dumps((True, result)))
    send.close()
