"""Rebuild the bundled default from seeds: tokenizer, teacher, consensus labels, both students,
their ONNX packages, the evaluation on the mini bench, model cards, and the parity fixture.

    python native-models/pipeline.py            # the shipped recipe (about 2.6 hours on 2 CPU cores)
    python native-models/pipeline.py --quick    # every stage at tiny sizes, minutes, into a scratch folder
    python native-models/pipeline.py --until consensus   # stop after the consensus labels

The recipe is loupe_models/recipe.py (SHIPPED); the stages that run it are loupe_models/stages/, and
docs/models.md says why each stage is there and what the alternatives that were tried measured.
Every stage caches its result under --work (default native-models/build/pipeline), so an interrupted
run resumes at the stage it stopped in. A cached result is reused only while the inputs it was made
from (settings, and the hashes of the earlier stages' files) stay the same (loupe_models/stage_cache.py):
change the teacher and the consensus and students are rebuilt. The mini bench itself is written by
make_bench.py (train.sh runs it first).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from loupe_models.recipe import SHIPPED
from loupe_models.stages.labels import labels_stage, student_scenes
from loupe_models.stages.packages import fixture_stage, packages_stage
from loupe_models.stages.run import Run
from loupe_models.stages.scenes import scenes_stage, tokenizer_stage
from loupe_models.stages.students import students_stage
from loupe_models.stages.teacher import teacher_stage

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=None, help="stage cache (default native-models/build/pipeline, build/quick with --quick)")
    ap.add_argument("--models-out", type=Path, default=None, help="default resources/models (with --quick: <work>/models)")
    ap.add_argument("--fixture-out", type=Path, default=None, help="default test/fixtures/parity (with --quick: <work>/fixture)")
    ap.add_argument(
        "--bench", type=Path, default=REPO / "resources" / "bench" / "loupe-mini", help="the bench the students are evaluated on"
    )
    ap.add_argument("--until", choices=("teacher", "consensus"), default=None, help="stop after this stage (its result stays cached)")
    ap.add_argument("--quick", action="store_true", help="every stage at tiny sizes: checks the plumbing in minutes, not the figures")
    ap.add_argument(
        "--student-seed",
        type=int,
        default=0,
        help="offset of the students' sampler and head seeds (0: the shipped streams); another value measures how much the students vary run to run",
    )
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if args.quick:
        # a smoke run never overwrites the shipped models or fixture unless told to
        args.work = args.work or HERE / "build" / "quick"
        args.models_out = args.models_out or args.work / "models"
        args.fixture_out = args.fixture_out or args.work / "fixture"
    args.work = args.work or HERE / "build" / "pipeline"
    args.models_out = args.models_out or REPO / "resources" / "models"
    args.fixture_out = args.fixture_out or REPO / "test" / "fixtures" / "parity"
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    run = Run(SHIPPED.quick() if args.quick else SHIPPED, args.work, args.threads, args.student_seed, args.quick)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)  # the teacher's initial weights
    enc = tokenizer_stage(run)
    scenes = scenes_stage(run)
    teacher = teacher_stage(run, enc, scenes)
    if args.until == "teacher":
        return
    records = student_scenes(run, scenes)
    labels = labels_stage(run, enc, teacher, records, scenes)
    if args.until == "consensus":
        return
    students, history = students_stage(run, enc, teacher, records, labels, scenes)
    (run.work / f"history-{int(time.time())}.json").write_text(json.dumps(teacher.history + history))
    figures = packages_stage(run, enc, teacher, students, scenes, labels, args.bench, args.models_out)
    fixture_stage(run, enc, students["r2i"], args.bench, args.models_out, args.fixture_out)
    (run.work / "summary.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
