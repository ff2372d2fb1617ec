"""What every stage is given: the recipe, the work folder its results are cached in, the log, and the
machine's threads."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..recipe import Recipe


@dataclass
class Run:
    recipe: Recipe
    work: Path
    threads: int = 2
    student_seed: int = 0  # offsets the students' samplers (0: the shipped streams)
    quick: bool = False
    _log_file: TextIO | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)

    def log(self, msg: str) -> None:
        """A time-stamped line on stdout and in <work>/pipeline.log."""
        if self._log_file is None:
            self._log_file = open(self.work / "pipeline.log", "a")
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        self._log_file.write(line + "\n")
        self._log_file.flush()
