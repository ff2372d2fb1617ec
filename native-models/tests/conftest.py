import os
import sys

NATIVE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if NATIVE not in sys.path:
    sys.path.insert(0, NATIVE)

import pytest  # noqa: E402  (after the path set-up above, so that loupe_models imports)

from loupe_models import world  # noqa: E402
from loupe_models.tokenizer import PromptEncoder, build_tokenizer  # noqa: E402


@pytest.fixture(scope="session")
def enc() -> PromptEncoder:
    """The prompt encoder on the world's question corpus, shared by the tests that train a few steps."""
    return PromptEncoder(build_tokenizer(world.question_corpus()))
