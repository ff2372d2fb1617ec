"""Rebuild the bundled default from seeds: tokenizer, teacher, consensus labels, both students,
their ONNX packages, the evaluation on the mini bench, model cards, and the parity fixture.

    python native-models/pipeline.py            # the full run (about 2.6 hours on 2 CPU cores)
    python native-models/pipeline.py --quick    # a minutes-long smoke run into a scratch folder
    python native-models/pipeline.py --until consensus   # stop after the consensus labels

Every stage caches its result under --work (default native-models/build/pipeline), so an
interrupted run resumes at the stage it stopped in. A cached result is reused only while the inputs
it was made from (settings, and the hashes of the earlier stages' files) stay the same
(loupe_models/stage_cache.py): change the teacher and the consensus and students are rebuilt. The
mini bench itself is written by make_bench.py (train.sh runs it first).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tokenizers import Tokenizer  # noqa: E402

from loupe_models import world  # noqa: E402
from loupe_models.consensus import CONSENSUS_VIEW_SETS, consensus_labels  # noqa: E402
from loupe_models.data import build_records  # noqa: E402
from loupe_models.data_parallel import train_data_parallel  # noqa: E402
from loupe_models.evaluate import evaluate, model_card, paired_comparison  # noqa: E402
from loupe_models.export import load_checkpoint, save_checkpoint, write_package  # noqa: E402
from loupe_models.model import TinyConfig, TinyQwen2VL  # noqa: E402
from loupe_models.parity import write_fixture  # noqa: E402
from loupe_models.probe import probe  # noqa: E402
from loupe_models.processes import run_forked  # noqa: E402
from loupe_models.scene_draws import scene_draws  # noqa: E402
from loupe_models.stage_cache import file_digest, json_digest, record, reusable  # noqa: E402
from loupe_models.student_cycles import FINAL_BOXED, describe_schedule, manifest_entry, student_cycles  # noqa: E402
from loupe_models.tokenizer import PromptEncoder, build_tokenizer  # noqa: E402
from loupe_models.train import Schedule, quick_accuracy, student_samples, teacher_samples, train_loop  # noqa: E402

REPO = ROOT.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=None, help="stage cache (default build/pipeline, build/quick with --quick)")
    ap.add_argument("--models-out", type=Path, default=None, help="default resources/models (with --quick: <work>/models)")
    ap.add_argument("--bench", type=Path, default=REPO / "resources" / "bench" / "loupe-mini")
    ap.add_argument("--fixture-out", type=Path, default=None, help="default test/fixtures/parity (with --quick: <work>/fixture)")
    ap.add_argument("--train-items", type=int, default=3000)
    ap.add_argument("--teacher-steps", type=int, default=1200)
    ap.add_argument("--teacher-continue", type=int, default=1000, help="steps of a second, lower-rate teacher cycle")
    ap.add_argument(
        "--teacher-extend",
        type=int,
        default=5000,
        help="steps of a third, long teacher cycle (0 measured in commit f2e9dec: labels 4.2 points less often right, docs/models.md)",
    )
    ap.add_argument(
        "--teacher-text", type=int, default=1200, help="steps of the teacher's reading stage (glyph supervision, extra text scenes)"
    )
    ap.add_argument("--text-items", type=int, default=3000, help="extra OCR training scenes for the reading stage")
    ap.add_argument("--teacher-count", type=int, default=1200, help="steps of the teacher's counting-and-reading stage")
    ap.add_argument("--count-items", type=int, default=3000, help="extra counting training scenes for that stage")
    ap.add_argument("--teacher-read", type=int, default=1500, help="steps of a second reading stage (0: the 95721bd recipe)")
    ap.add_argument("--read-items", type=int, default=3000, help="fresh text scenes for the second reading stage")
    ap.add_argument(
        "--teacher-read-2",
        type=int,
        default=1500,
        help="steps of a third reading stage, on --read-items more fresh text scenes (0: none, the 69085a5 recipe)",
    )
    ap.add_argument(
        "--teacher-focus",
        type=int,
        default=1500,
        help="steps of a last stage on the teacher's two weakest dimensions, counting and text (0: none, the 69085a5 recipe)",
    )
    ap.add_argument("--focus-items", type=int, default=3000, help="fresh counting scenes and as many text scenes for that stage")
    ap.add_argument(
        "--consensus-views",
        choices=CONSENSUS_VIEW_SETS,
        default="scale",
        help="the teacher's four views of each crop (consensus.crop_views; 'framing': the 95721bd recipe)",
    )
    ap.add_argument("--pool-items", type=int, default=6000, help="extra unlabelled scenes the teacher labels for the students")
    ap.add_argument(
        "--student-steps",
        type=int,
        default=2200,
        help="steps of the students' first cycle (1,800 + 1,100 measured in commit f2e9dec: R2I global view under 55%%)",
    )
    ap.add_argument("--student-continue", type=int, default=1500, help="steps of the students' second, lower-rate cycle")
    ap.add_argument("--crop-share", type=float, default=0.25, help="share of each student batch replaying regional crops, first cycle")
    ap.add_argument("--continue-crop-share", type=float, default=0.5, help="the same share in the students' second cycle")
    ap.add_argument(
        "--continue-replay-text",
        type=float,
        default=0.33,
        help="share of the second cycle's replayed crops drawn from the kept text scenes (0: as they come, the 97b07d4 recipe)",
    )
    ap.add_argument(
        "--sequential-students", action="store_true", help="train the two students one after the other (default: at once, in two processes)"
    )
    ap.add_argument(
        "--distill-weight",
        type=float,
        default=0.0,
        help="distil the teacher in the students' crop replay, with this weight (train.distill_terms; 0, the shipped recipe: replay the consensus labels)",
    )
    ap.add_argument(
        "--anchor-weight",
        type=float,
        default=1.0,
        help="keep the students' visual features on replayed crops near the teacher's, with this weight (train.anchor_terms; 0: none, the 69085a5 recipe)",
    )
    ap.add_argument(
        "--continue-anchor-weight",
        type=float,
        default=0.0,
        help="the same weight in the students' second cycle (default 0: the anchor holds the first cycle only)",
    )
    ap.add_argument(
        "--student-seed",
        type=int,
        default=0,
        help="offset of the students' sampler and head seeds (0: the shipped streams); another value measures how much the students vary run to run",
    )
    ap.add_argument(
        "--aux-warmup",
        type=int,
        default=300,
        help="steps that fit the students' fresh auxiliary head alone on the frozen first-cycle tower before their second cycle (train.warm_aux_head; 0: none, the 69085a5 recipe)",
    )
    ap.add_argument("--aux-weight", type=float, default=1.0, help="weight of the training-only auxiliary perception heads (train.AuxHead)")
    ap.add_argument("--eval-limit", type=int, default=None)
    ap.add_argument("--until", choices=("teacher", "consensus"), default=None, help="stop after this stage (its result stays cached)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes for a smoke run")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.quick:
        # a smoke run never overwrites the shipped models or fixture unless told to
        args.train_items, args.teacher_steps, args.student_steps, args.eval_limit = 48, 6, 6, 6
        args.teacher_continue, args.teacher_extend, args.teacher_text, args.text_items = 3, 3, 3, 12
        args.teacher_count, args.count_items, args.pool_items, args.student_continue = 3, 12, 12, 3
        args.teacher_read, args.read_items = 3, 12
        args.teacher_read_2 = min(args.teacher_read_2, 3)
        args.teacher_focus, args.focus_items = min(args.teacher_focus, 3), 12
        args.aux_warmup = min(args.aux_warmup, 3)
        args.work = args.work or ROOT / "build" / "quick"
        args.models_out = args.models_out or args.work / "models"
        args.fixture_out = args.fixture_out or args.work / "fixture"
    args.work = args.work or ROOT / "build" / "pipeline"
    args.models_out = args.models_out or REPO / "resources" / "models"
    args.fixture_out = args.fixture_out or REPO / "test" / "fixtures" / "parity"
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    log_file = open(work / "pipeline.log", "a")

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    history: list[dict] = []
    # 1. tokenizer: merges from the question corpus only (see tokenizer.py)
    tok_path = work / "tokenizer.json"
    if tok_path.exists():
        tok = Tokenizer.from_file(str(tok_path))
    else:
        tok = build_tokenizer(world.question_corpus() * 8)
        tok.save(str(tok_path))
    enc = PromptEncoder(tok)
    log(f"tokenizer: {tok.get_vocab_size()} tokens")

    # 2. training scenes (train split) and a small validation slice
    t0 = time.time()
    # the key regions too: the consensus stage cuts its views from them (consensus.consensus_labels)
    records = build_records("train", args.train_items, keep_region=True)
    val = build_records("val", 60 if not args.quick else 6)
    log(f"built {len(records)} train + {len(val)} val scenes in {time.time() - t0:.0f}s")

    # 3. teacher on regional crops with ground truth
    cfg = TinyConfig(vocab_size=tok.get_vocab_size())
    extra: dict[str, list] = {}  # the stages' extra scenes, built once per run

    # each stage's own train-split scenes (loupe_models/scene_draws.py), never shared with one
    # another, nor with validation or test
    draws = scene_draws(
        train_items=args.train_items,
        text_items=args.text_items,
        count_items=args.count_items,
        pool_items=args.pool_items,
        read_items=args.read_items,
        focus_items=args.focus_items,
    )
    pool_start, read_start, read_2_start, focus_start = (draws[k].start for k in ("pool", "read", "read-2", "focus-counting"))

    def crop_scenes(*names: str) -> list:
        """The base scenes plus the named draws, crop-only (the teacher never sees their full views);
        built once and kept while the stages after use them."""
        for name in list(extra):
            if name not in names:
                del extra[name]  # an earlier stage's scenes are done with
        for name in names:
            if name not in extra:
                d = draws[name]
                extra[name] = build_records("train", d.n, start=d.start, dimension=d.dimension, crop_only=True)
        return records + [r for name in names for r in extra[name]]

    # (stage, steps, peak rate, warmup, batch sampler, inputs beyond the common ones). Each stage is
    # cached in its own checkpoint, so a resumed run does not repeat one.
    stages = (
        # three cosine cycles on the base scenes: the first from scratch, then two lower-rate cycles
        # (the loss was still falling after each)
        ("teacher", args.teacher_steps, 1.5e-3, 100, lambda: teacher_samples(records), {}),
        ("teacher-continued", args.teacher_continue, 7e-4, 50, lambda: teacher_samples(records), {}),
        ("teacher-extended", args.teacher_extend, 7e-4, 50, lambda: teacher_samples(records), {}),
        # a reading stage: the 3,000 base scenes hold only 500 text crops, too few for a tiny tower to
        # learn 17 glyphs (a linear probe found 13% per-token character accuracy, chance 6%). Extra
        # text scenes and a per-token glyph target (which character, which place in the string) teach
        # it to read; the other dimensions stay in every batch so the teacher keeps them.
        (
            "teacher-text",
            args.teacher_text,
            7e-4,
            50,
            lambda: teacher_samples(crop_scenes("text"), glyphs=True, shares={"ocr": 0.5}),
            {"text_items": args.text_items},
        ),
        # a counting-and-reading stage: after the reading stage, counting (70% on validation crops) and
        # text (25%) were the teacher's two weak dimensions, and its reading loss was still falling. A
        # third of each batch counts dots on extra counting scenes, a third reads, a third keeps the rest.
        (
            "teacher-count",
            args.teacher_count,
            7e-4,
            50,
            lambda: teacher_samples(crop_scenes("text", "counting"), glyphs=True, shares={"ocr": 1 / 3, "counting": 1 / 3}),
            {"text_items": args.text_items, "count_items": args.count_items},
        ),
        # a second reading stage (commit 97b07d4): after the counting-and-reading stage text was still the
        # teacher's weakest dimension (OCR 40% on this bench's crops) and capped what the students
        # could read. 1,500 steps of the reading stage's batches with 3,000 fresh text scenes: OCR on
        # 120 validation crops 35% to 62%, bench crops 85.0% to 90.6% (docs/models.md).
        (
            "teacher-read",
            args.teacher_read,
            7e-4,
            50,
            lambda: teacher_samples(crop_scenes("text", "read"), glyphs=True, shares={"ocr": 0.5}),
            {"text_items": args.text_items, "read_items": args.read_items, "read_start": read_start},
        ),
        # a third reading stage (commit a197f34, on by default since commit a1b092b): the same batches with the second
        # stage's scenes and as many fresh ones. A fresh teacher chain (commit ca47f21) read 53% of this
        # bench's text crops against the shipped teacher's 73%, and the students' regional view
        # follows their teacher's (docs/models.md, commit ba87921).
        (
            "teacher-read-2",
            args.teacher_read_2,
            7e-4,
            50,
            lambda: teacher_samples(crop_scenes("text", "read", "read-2"), glyphs=True, shares={"ocr": 0.5}),
            {"text_items": args.text_items, "read_items": args.read_items, "read_start": read_start, "read_2_start": read_2_start},
        ),
        # a focus stage (commit 27cb28b, on by default since commit a1b092b): after the third reading stage the teacher still
        # answers text (67%) and counting (80%) on this bench's crops worst, and its students lose
        # their regional view on exactly those (docs/models.md, commit 88a1ab9). A third of each batch
        # reads, a third counts, on fresh scenes of both; the rest keeps the other four dimensions.
        (
            "teacher-focus",
            args.teacher_focus,
            7e-4,
            50,
            lambda: teacher_samples(crop_scenes("focus-counting", "focus-text"), glyphs=True, shares={"ocr": 1 / 3, "counting": 1 / 3}),
            {"focus_items": args.focus_items, "focus_start": focus_start},
        ),
    )
    teacher = TinyQwen2VL(cfg)
    previous = "scratch"  # what each teacher stage starts from: the hash of the stage before it
    for stage, stage_steps, lr, warmup, samples, stage_inputs in stages:
        if stage_steps <= 0:
            continue
        path = work / f"{stage}.pt"
        inputs = {
            "from": previous,
            "steps": stage_steps,
            "lr": lr,
            "warmup": warmup,
            "train_items": args.train_items,
            "aux_weight": args.aux_weight,
            **stage_inputs,
        }
        if reusable(path, inputs, log):
            teacher = load_checkpoint(path)
        else:
            # one one-thread process per thread, sharing each step (data_parallel: 1.15-1.29x measured on two cores)
            history += train_data_parallel(
                teacher,
                enc,
                samples(),
                Schedule(steps=stage_steps, lr=lr, warmup=warmup),
                log,
                stage,
                ranks=args.threads,
                aux_weight=args.aux_weight,
            )
            save_checkpoint(teacher, path)
            record(path, inputs)
        previous = file_digest(path)
        log(f"{stage} val accuracy on crops: {quick_accuracy(teacher, enc, val, 'crop'):.3f}")
    if args.until == "teacher":
        return
    extra.clear()  # free the stages' extra scenes before the students' scenes are built

    # the students' scenes: the teacher's 3,000 plus --pool-items unlabelled scenes it never trained
    # on (indices after every extra scene above). Measured on the earlier build: a student trained on
    # 3,000 scenes answered 59% of its training images' full views but 38% of unseen ones.
    pool = draws["pool"]
    student_records = records + (build_records("train", pool.n, start=pool.start, keep_region=True) if pool.n > 0 else [])
    log(
        f"students' scenes: {len(student_records)} (train indices 0..{args.train_items - 1} and {pool_start}..{pool_start + args.pool_items - 1})"
    )

    # 4. consensus labels over 4 teacher views of each crop
    cons_path = work / "consensus.json"
    # (format 2 also stores the teacher's tight-crop answer on every scene, for the crop replay)
    inputs = {
        "teacher": previous,
        "train_items": args.train_items,
        "pool_start": pool_start,
        "pool_items": args.pool_items,
        "format": 2,
        "views": args.consensus_views,
    }
    if reusable(cons_path, inputs, log):
        cons = json.loads(cons_path.read_text())
    else:
        # one process per thread: the scenes are regenerated on one core at a time (consensus.consensus_labels)
        res = consensus_labels(teacher, enc, student_records, "train", log, view_set=args.consensus_views, processes=args.threads)
        cons_path.write_text(json.dumps({key: res[key] for key in ("labels", "stats", "crop_answers")}))
        record(cons_path, inputs)
        cons = json.loads(cons_path.read_text())  # string keys, as a cached run reads them
    # JSON object keys are strings: back to scene indices
    labels = {int(k): v for k, v in cons["labels"].items()}
    crop_answers = {int(k): v for k, v in cons["crop_answers"].items()}
    cons_stats = cons["stats"]
    log(f"consensus: {json.dumps(cons_stats)}")
    if args.until == "consensus":
        return
    if args.quick and not labels:
        # a 6-step teacher agrees on nothing; the smoke run only checks the plumbing
        labels = {r.index: r.answer for r in student_records}
        crop_answers = dict(labels)
        log("quick run: no consensus labels, using ground truth to exercise the student stage")

    # 5. the two students, same init, same images, labels and steps, in two cosine cycles like the
    # teacher's (loupe_models/student_cycles.py). In the second the R2I student keeps the
    # curriculum's final boxed share.
    cycles = student_cycles(
        steps=args.student_steps,
        continue_steps=args.student_continue,
        crop_share=args.crop_share,
        continue_crop_share=args.continue_crop_share,
        continue_replay_text=args.continue_replay_text,
        student_seed=args.student_seed,
        anchor_weight=args.anchor_weight,
        continue_anchor_weight=args.continue_anchor_weight,
        aux_warmup=args.aux_warmup,
    )
    distil = args.distill_weight > 0

    def train_student(name: str, grounded: bool, check_val: bool) -> tuple[TinyQwen2VL, list[dict]]:
        """Both cycles of one student, each reused from its checkpoint while its inputs are unchanged."""
        st = copy.deepcopy(teacher)
        trained: list[dict] = []
        previous_cycle = previous  # the first cycle starts from the teacher
        for cycle in cycles:
            first = cycle.first
            stage = f"student-{name}{cycle.suffix}"
            path = work / f"{stage}.pt"
            inputs = {
                "teacher" if first else "from": previous_cycle,
                "labels": json_digest(cons["labels"]),
                "steps": cycle.steps,
                "crop_share": cycle.crop_share,
                "aux_weight": args.aux_weight,
            }
            if not first:
                inputs |= {"lr": cycle.peak_lr, "warmup": cycle.warmup, "ground_prob": FINAL_BOXED if grounded else 0.0, "seed": cycle.seed}
            elif args.student_seed:  # recorded only when set, so the shipped first cycles' caches stay valid
                inputs |= {"seed": cycle.seed}
            if cycle.replay_text_share > 0:
                inputs |= {"replay_text_share": cycle.replay_text_share}
            if cycle.aux_warmup:
                inputs |= {"aux_warmup": cycle.aux_warmup}
            if distil:
                inputs |= {"distill_weight": args.distill_weight, "crop_answers": json_digest(cons["crop_answers"])}
            if cycle.anchor_weight > 0:
                inputs |= {"anchor_weight": cycle.anchor_weight}
            if reusable(path, inputs, log):
                st = load_checkpoint(path)
            else:
                torch.manual_seed((1 if first else 2) + 100 * args.student_seed)
                # with --distill-weight, the crop replay distils the teacher on every scene's crop (train.student_samples)
                fn = student_samples(
                    student_records,
                    labels,
                    grounded,
                    cycle.crop_share,
                    cycle.boxed_share if grounded else None,
                    crop_answers=crop_answers if distil else None,
                    replay_text_share=cycle.replay_text_share,
                )
                trained += train_loop(
                    st,
                    enc,
                    fn,
                    Schedule(steps=cycle.steps, lr=cycle.peak_lr, warmup=cycle.warmup),
                    log,
                    stage,
                    aux_weight=args.aux_weight,
                    teacher=teacher if distil or cycle.anchor_weight > 0 else None,
                    distill_weight=args.distill_weight,
                    seed=cycle.seed,
                    aux_warmup=cycle.aux_warmup,
                    anchor_weight=cycle.anchor_weight,
                )
                save_checkpoint(st, path)
                record(path, inputs)
            previous_cycle = file_digest(path)
            if check_val:
                log(f"{stage} val: global {quick_accuracy(st, enc, val, 'full'):.3f} regional {quick_accuracy(st, enc, val, 'crop'):.3f}")
        return st, trained

    roster = (("base", False), ("r2i", True))
    if not args.sequential_students:
        # The two students are independent: train them at once, in forked processes that share the
        # scenes (copy-on-write), with the threads split between them. Measured on two cores: one
        # thread each trains 1.18x as many samples per second in all as two threads taking turns
        # (docs/models.md). The loop below then finds every cycle cached and loads it.
        history += run_forked(
            [lambda n=n, g=g: train_student(n, g, check_val=False)[1] for n, g in roster], max(1, args.threads // len(roster)), log
        )
    students = {}
    for name, grounded in roster:
        students[name], trained = train_student(name, grounded, check_val=True)
        history += trained
    (work / f"history-{int(time.time())}.json").write_text(json.dumps(history))

    # 6. export, evaluate on the shipped bench, write manifests, cards and the parity fixture
    schedule = describe_schedule(cycles)
    recipes = {
        "base": "Baseline student: initialised from the crop teacher, fine-tuned on full training images with the teacher's "
        f"consensus labels ({schedule}); never sees a box or the grounding hint. Same images, labels and steps as loupe-tiny-r2i.",
        "r2i": "Region-to-Image distilled student: initialised from the crop teacher, fine-tuned on the same full images "
        f"and teacher labels ({schedule}) under the grounding transform (box enlarged 5%, red 5-px outline at original "
        "resolution, the 'Only focus on the objects inside the red bounding box' hint). Grounding curriculum: every full "
        "image is boxed at first, then the boxed share falls linearly to 25% by 80% of the first cycle and stays there "
        "(see docs/models.md).",
    }
    summaries = {}
    for name, model in students.items():
        summaries[name] = evaluate(model, enc, args.bench, args.eval_limit)
        log(f"{name} bench: {json.dumps({k: v for k, v in summaries[name].items() if not isinstance(v, (dict, list))})}")
    # linear probes on the vision tower's tokens (loupe_models/probe.py): what each view's tokens
    # encode before any decoding; fitted on training scenes, scored on unseen validation scenes
    probe_held_out = build_records("val", 360 if not args.quick else 12)
    probes = {}
    for name, model in (("teacher", teacher), *students.items()):
        probes[name] = probe(model, records[: min(len(records), 1500)], probe_held_out)
        log(f"{name} probes: {json.dumps(probes[name])}")
    teacher_extras = []
    if args.teacher_text > 0:
        teacher_extras.append(
            f"; a reading stage of {args.teacher_text} steps adds {args.text_items} extra text scenes (train split, from index "
            f"{args.train_items}) and per-token glyph targets"
        )
    if args.teacher_count > 0:
        teacher_extras.append(f"; a counting-and-reading stage of {args.teacher_count} steps adds {args.count_items} extra counting scenes")
    if args.teacher_read > 0:
        teacher_extras.append(
            f"; a second reading stage of {args.teacher_read} steps adds {args.read_items} more text scenes (from index {read_start})"
        )
    if args.teacher_read_2 > 0:
        teacher_extras.append(
            f"; a third reading stage of {args.teacher_read_2} steps adds {args.read_items} more text scenes (from index {read_2_start})"
        )
    if args.teacher_focus > 0:
        teacher_extras.append(
            f"; a counting-and-reading focus stage of {args.teacher_focus} steps adds {args.focus_items} counting and as many text scenes (from index {focus_start})"
        )
    for name, model in students.items():
        other = "r2i" if name == "base" else "base"
        pkg = args.models_out / f"loupe-tiny-{name}"
        manifest = {
            "name": f"loupe-tiny-{name}",
            "description": recipes[name],
            "training": {
                "data": f"synthetic world (native-models/loupe_models/world.py), train split indices 0..{args.train_items - 1}"
                + (
                    f" and {pool_start}..{pool_start + args.pool_items - 1} (unlabelled scenes the teacher labels)"
                    if args.pool_items > 0
                    else ""
                ),
                "teacher": {
                    "steps": sum(stage_steps for _, stage_steps, *_ in stages),
                    "data": f"regional crops of train indices 0..{args.train_items - 1}, ground-truth labels" + "".join(teacher_extras),
                },
                "consensus": cons_stats,
                "student_steps": sum(c.steps for c in cycles),
                "student_cycles": [manifest_entry(c) for c in cycles],
                "batch_size": 16,
                **({"crop_replay_distill_weight": args.distill_weight} if args.distill_weight > 0 else {}),
                "grounded": name == "r2i",
            },
            "metrics": {
                "mini_bench": summaries[name],
                "versus_" + other: paired_comparison(summaries[name], summaries[other]),
                "perception_probes": {"this": probes[name], "teacher": probes["teacher"]},
            },
            "compare_default_with": f"loupe-tiny-{other}",
        }
        write_package(model, enc, pkg, manifest, write_notap=(name == "base"))
        card = model_card(
            f"loupe-tiny-{name}",
            summaries[name],
            {"name": f"loupe-tiny-{other}", "summary": summaries[other]},
            {"description": recipes[name]},
            probes={f"loupe-tiny-{name}": probes[name], f"loupe-tiny-{other}": probes[other], "teacher": probes["teacher"]},
        )
        (pkg / "MODEL_CARD.md").write_text(card)
        log(f"wrote {pkg}")
    items = json.loads((args.bench / "test.json").read_text())[:2]
    from PIL import Image

    fixture_items = [
        ("item0-global", Image.open(args.bench / items[0]["images"][0]).convert("RGB"), items[0]["query"]),
        ("item1-regional", Image.open(args.bench / items[1]["crop_images"][0]).convert("RGB"), items[1]["query"]),
    ]
    write_fixture(students["r2i"], enc, args.models_out / "loupe-tiny-r2i", args.fixture_out, fixture_items)
    log(f"parity fixture written to {args.fixture_out}")
    (work / "summary.json").write_text(json.dumps({"consensus": cons_stats, "bench": summaries, "probes": probes}, indent=2))


if __name__ == "__main__":
    main()
