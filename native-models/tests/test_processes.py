"""run_forked: independent training jobs at once, results in job order, failures said, not lost."""

from __future__ import annotations

import os

import pytest
import torch

from loupe_models.processes import TrainingProcessError, run_forked


def test_jobs_run_in_their_own_processes_with_their_threads_and_results_come_back_in_order():
    parent = os.getpid()
    lines: list[str] = []

    def job(k: int):
        return lambda: [{"job": k, "pid": os.getpid(), "threads": torch.get_num_threads()}]

    out = run_forked([job(0), job(1)], 1, lines.append)
    assert [r["job"] for r in out] == [0, 1]
    assert all(r["pid"] != parent for r in out) and out[0]["pid"] != out[1]["pid"]
    assert all(r["threads"] == 1 for r in out)
    assert lines and "2 jobs at once" in lines[0]


def test_a_failing_job_is_reported_with_its_traceback_after_the_others_finish(tmp_path):
    done = tmp_path / "done"

    def fails():
        raise ValueError("scene 17 has no key card")

    def finishes():
        done.write_text("ok")  # a job's own cached result, written before the failure is raised
        return [1]

    with pytest.raises(TrainingProcessError) as err:
        run_forked([fails, finishes], 1, lambda _line: None)
    assert "job 0" in str(err.value) and "scene 17 has no key card" in str(err.value) and "job 1" not in str(err.value)
    assert done.read_text() == "ok"
