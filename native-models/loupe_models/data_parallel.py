"""Train one model in several forked processes at once, each step's samples shared between them.

Why: on two cores a tiny model's step does not keep two threads busy. Measured on the teacher's crop
batches: one process with two threads trained 43.2 samples/s; two one-thread processes, each on
half of every step, 57.4 in all (1.33x) before any exchange. So the teacher's stages run as ranks:
every rank draws the same step (the same sampler seed), takes its share of the samples, sums its
loss terms, and the ranks add up their term counts and then their gradients in shared memory. Each
rank then holds the gradient of the whole step (loss terms divided by the whole step's counts, as in
train.step_loss) and takes the same optimizer step, so their weights stay identical.

Shared memory and a barrier, not torch.distributed: no sockets (sandboxed CI machines may have no
usable network interface) and nothing to set up beyond the fork.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable

import torch

from .processes import run_forked
from .train import LOSS_TERMS, AuxHead, Schedule, train_loop

BARRIER_TIMEOUT_S = 600  # a rank that died leaves the others waiting: they give up after this


class GradientExchange:
    """Shared buffers through which `ranks` forked processes add up each step's counts and gradients.
    Create it before forking, sized for every parameter the ranks train (numel)."""

    def __init__(self, numel: int, ranks: int):
        self.ranks = ranks
        self.numel = numel
        # two of each, used on alternate steps: a rank that runs ahead writes the next step's buffer
        # while a slower one still reads this step's
        self.counts = torch.zeros(2, ranks, len(LOSS_TERMS), dtype=torch.float64).share_memory_()
        self.grads = torch.zeros(2, ranks, numel + 1).share_memory_()  # + the rank's loss
        self.barrier = mp.get_context("fork").Barrier(ranks)

    def share(self, samples: list[tuple], rank: int) -> list[tuple]:
        """This rank's share of a step: samples ordered by image size, dealt out in turn, so that every
        rank gets as many large images as the others (a step waits for its slowest rank)."""
        order = sorted(range(len(samples)), key=lambda i: (samples[i][0].shape[0] * samples[i][0].shape[1], i))
        return [samples[i] for i in sorted(order[rank :: self.ranks])]

    def total_counts(self, counts: dict[str, int], rank: int, step: int) -> dict[str, int]:
        """Every rank's term counts added up: each rank divides its sums by the whole step's counts."""
        buf = self.counts[step % 2]
        buf[rank] = torch.tensor([float(counts.get(name, 0)) for name in LOSS_TERMS], dtype=torch.float64)
        self.barrier.wait(BARRIER_TIMEOUT_S)
        totals = buf.sum(0)
        return {name: int(totals[k]) for k, name in enumerate(LOSS_TERMS)}

    def sum_gradients(self, params: list[torch.nn.Parameter], loss: torch.Tensor, rank: int, step: int) -> float:
        """Replace each parameter's gradient by the sum over ranks (a parameter a rank's share did not
        reach counts as zero there); return the whole step's loss."""
        buf = self.grads[step % 2]
        mine = buf[rank]
        at = 0
        for p in params:
            n = p.numel()
            mine[at : at + n] = p.grad.reshape(-1) if p.grad is not None else 0.0
            at += n
        if at != self.numel:
            raise ValueError(f"GradientExchange: sized for {self.numel} parameters, the model has {at}")
        mine[at] = float(loss.detach())
        self.barrier.wait(BARRIER_TIMEOUT_S)
        total = buf.sum(0)  # rank 0 + rank 1 + ...: the same additions, in the same order, on every rank
        at = 0
        for p in params:
            n = p.numel()
            p.grad = total[at : at + n].view_as(p).clone()
            at += n
        return float(total[at])


def trained_numel(model: torch.nn.Module, aux_weight: float) -> int:
    """How many numbers train_loop trains: the model's parameters and, with aux_weight > 0, its
    AuxHead's (built here only to be counted; fork_rng keeps the random draws train_loop will make)."""
    n = sum(p.numel() for p in model.parameters())
    if aux_weight > 0:
        with torch.random.fork_rng():
            n += sum(p.numel() for p in AuxHead(model.cfg.hidden_size).parameters())
    return n


def train_data_parallel(
    model: torch.nn.Module,
    enc,
    sample_fn,
    sched: Schedule,
    log: Callable[[str], None],
    label: str,
    ranks: int,
    aux_weight: float = 0.0,
    seed: int = 1234,
) -> list[dict]:
    """train_loop in `ranks` one-thread processes that share each step; `model` ends with the trained
    weights (rank 0's, identical to every rank's). Returns rank 0's loss log."""
    ranks = min(ranks, sched.batch_size)  # every rank needs samples of its own in every step
    if ranks < 2:
        return train_loop(model, enc, sample_fn, sched, log, label, aux_weight=aux_weight, seed=seed)
    exchange = GradientExchange(trained_numel(model, aux_weight), ranks)

    def job(rank: int):
        def run() -> list:
            history = train_loop(
                model,
                enc,
                sample_fn,
                sched,
                log if rank == 0 else (lambda _line: None),
                label,
                aux_weight=aux_weight,
                seed=seed,
                exchange=exchange,
                rank=rank,
            )
            return [(history, model.state_dict())] if rank == 0 else []

        return run

    [(history, state)] = run_forked([job(r) for r in range(ranks)], 1, log)
    model.load_state_dict(state)
    model.eval()
    return history
