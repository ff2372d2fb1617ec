"""The students as Loupe model packages: evaluated on the mini bench, probed, described in loupe.json and
MODEL_CARD.md, and the parity fixture the TypeScript engine is checked against."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from ..data import Record, build_records
from ..evaluate import evaluate, model_card, paired_comparison
from ..export import write_package
from ..model import TinyQwen2VL
from ..parity import write_fixture
from ..probe import probe
from ..recipe import BATCH_SIZE, teacher_data_words
from ..student_cycles import describe_schedule, manifest_entry, student_cycles
from ..tokenizer import PromptEncoder
from .labels import Labels
from .run import Run
from .scenes import Scenes
from .teacher import Teacher


def descriptions(run: Run) -> dict[str, str]:
    """Each student's recipe in words (loupe.json's description and the model card)."""
    schedule = describe_schedule(student_cycles(run.recipe, run.student_seed))
    return {
        "base": "Baseline student: initialised from the crop teacher, fine-tuned on full training images with the teacher's "
        f"consensus labels ({schedule}); never sees a box or the grounding hint. Same images, labels and steps as loupe-tiny-r2i.",
        "r2i": "Region-to-Image distilled student: initialised from the crop teacher, fine-tuned on the same full images "
        f"and teacher labels ({schedule}) under the grounding transform (box enlarged 5%, red 5-px outline at original "
        "resolution, the 'Only focus on the objects inside the red bounding box' hint). Grounding curriculum: every full "
        "image is boxed at first, then the boxed share falls linearly to 25% by 80% of the first cycle and stays there "
        "(see docs/models.md).",
    }


def training_facts(run: Run, scenes: Scenes, labels: Labels, grounded: bool) -> dict:
    """loupe.json's `training`: the scenes, the teacher, the consensus and the students' cycles."""
    recipe, pool = run.recipe, scenes.draws["pool"]
    cycles = student_cycles(recipe, run.student_seed)
    return {
        "data": f"synthetic world (native-models/loupe_models/world.py), train split indices 0..{recipe.train_items - 1}"
        f" and {pool.start}..{pool.start + pool.n - 1} (unlabelled scenes the teacher labels)",
        "teacher": {"steps": recipe.teacher_steps(), "data": teacher_data_words(recipe, scenes.draws)},
        "consensus": labels.stats,
        "student_steps": sum(c.steps for c in cycles),
        "student_cycles": [manifest_entry(c) for c in cycles],
        "batch_size": BATCH_SIZE,
        "grounded": grounded,
    }


def packages_stage(
    run: Run,
    enc: PromptEncoder,
    teacher: Teacher,
    students: dict[str, TinyQwen2VL],
    scenes: Scenes,
    labels: Labels,
    bench: Path,
    models_out: Path,
) -> dict:
    """Evaluates both students on the bench, probes them and the teacher, and writes each package with
    its loupe.json and MODEL_CARD.md. Returns the figures (summary.json)."""
    summaries = {}
    for name, model in students.items():
        summaries[name] = evaluate(model, enc, bench, run.recipe.eval_limit)
        run.log(f"{name} bench: {json.dumps({k: v for k, v in summaries[name].items() if not isinstance(v, (dict, list))})}")
    probes = _probes(run, teacher.model, students, scenes.base)
    recipes = descriptions(run)
    for name, model in students.items():
        other = "r2i" if name == "base" else "base"
        pkg = models_out / f"loupe-tiny-{name}"
        manifest = {
            "name": f"loupe-tiny-{name}",
            "description": recipes[name],
            "training": training_facts(run, scenes, labels, grounded=name == "r2i"),
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
        run.log(f"wrote {pkg}")
    return {"consensus": labels.stats, "bench": summaries, "probes": probes}


def _probes(run: Run, teacher: TinyQwen2VL, students: dict[str, TinyQwen2VL], base: list[Record]) -> dict:
    """Linear probes on the vision tower's tokens (loupe_models/probe.py): what each view's tokens
    encode before any decoding, fitted on training scenes and scored on unseen validation scenes."""
    held_out = build_records("val", run.recipe.probe_items)
    probes = {}
    for name, model in (("teacher", teacher), *students.items()):
        probes[name] = probe(model, base[: run.recipe.probe_train_items], held_out)
        run.log(f"{name} probes: {json.dumps(probes[name])}")
    return probes


def fixture_stage(run: Run, enc: PromptEncoder, r2i: TinyQwen2VL, bench: Path, models_out: Path, fixture_out: Path) -> None:
    """The parity fixture (test/fixtures/parity): PyTorch's prefill logits and attention on two bench
    items, one full image and one crop, that the engine's ONNX path must reproduce."""
    items = json.loads((bench / "test.json").read_text())[:2]
    fixture_items = [
        ("item0-global", Image.open(bench / items[0]["images"][0]).convert("RGB"), items[0]["query"]),
        ("item1-regional", Image.open(bench / items[1]["crop_images"][0]).convert("RGB"), items[1]["query"]),
    ]
    write_fixture(r2i, enc, models_out / "loupe-tiny-r2i", fixture_out, fixture_items)
    run.log(f"parity fixture written to {fixture_out}")
