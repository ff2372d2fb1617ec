"""The evaluation's judge, the paper coverage port and the paired base-vs-R2I comparison."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loupe_models.evaluate import judge, mcnemar_exact, paired_comparison, paper_coverage, summarise


def test_judge_accepts_the_letter_or_exactly_one_option_text():
    opts = ["red", "blue", "green", "pink"]
    assert judge("B", "B", opts) and judge("blue.", "B", opts) and judge(" Blue ", "B", opts)
    assert not judge("red", "B", opts) and not judge("C", "B", opts)
    assert judge("K3", "K3") and not judge("K", "K3")


def test_paper_coverage_truncates_and_includes_the_end_cell():
    att = np.ones((4, 4))
    # a box inside cell (1, 1): start and end truncate to the same cell, so the paper's code widens
    # the span to end at cell 2, and its inclusive end slice then takes cells 1-2 on each axis
    assert paper_coverage(att, (110, 110, 120, 120), 400, 400) == pytest.approx(4 / 16)
    assert paper_coverage(att, (0, 0, 400, 400), 400, 400) == pytest.approx(1.0)


def test_mcnemar_exact_matches_the_binomial_test():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    # 2 vs 10 discordant: 2 * P(X <= 2), X ~ Bin(12, 1/2)
    assert mcnemar_exact(2, 10) == pytest.approx(2 * sum(math.comb(12, k) for k in range(3)) / 2**12)
    assert mcnemar_exact(10, 2) == mcnemar_exact(2, 10)


def _rows(correct_global: list[bool]) -> list[dict]:
    return [
        {
            "id": f"i{k}",
            "dimension": "color",
            "question_type": "mcq",
            "global_correct": g,
            "regional_correct": True,
            "coverage": [0.5, 0.2],
            "area_share": 0.05,
        }
        for k, g in enumerate(correct_global)
    ]


def test_paired_comparison_counts_discordant_items_by_id():
    a = summarise(_rows([True, True, True, False, True, False]), 2)
    b = summarise(_rows([False, True, False, False, True, True]), 2)
    b["per_item"] = list(reversed(b["per_item"]))  # order must not matter, ids do
    cmp = paired_comparison(a, b)
    assert cmp["global"] == {"items": 6, "only_this": 2, "only_other": 1, "mcnemar_p": pytest.approx(1.0)}
    assert cmp["regional"]["only_this"] == 0 and cmp["regional"]["only_other"] == 0
    assert a["best_layer"] == 1 and a["coverage_over_area_share"] == pytest.approx(10.0)


def test_model_card_lists_the_probes_per_model_and_view():
    from loupe_models.evaluate import model_card

    s = summarise(_rows([True, False]), 2)
    p = {
        "train_items": 10,
        "held_out_items": 4,
        "content": {
            "crop": {"accuracy": 80.0, "items": 4, "by_dimension": {"color": 100.0, "counting": 50.0}},
            "full": {"accuracy": 25.0, "items": 4, "by_dimension": {"color": 50.0, "counting": 0.0}},
        },
        "glyph": {"character_accuracy": 21.0, "rank_accuracy": 76.0, "rank_majority_baseline": 36.0, "tokens_on_characters": 9},
    }
    card = model_card("m", s, None, {"description": "d"}, probes={"m": p, "teacher": p})
    assert "| m | crop | 80% | 100% | 50% | 21% | 76% (36%) |" in card
    assert "| teacher | full | 25% | 50% | 0% |  |  |" in card
