"""The stages that build the bundled default from seeds, one function each, in the order pipeline.py
runs them: the tokenizer and the scenes (scenes.py), the crop teacher (teacher.py), the consensus labels
(labels.py), the two students (students.py), and their packages, cards and parity fixture (packages.py).
Each caches its result under the run's work folder (loupe_models/stage_cache.py)."""
