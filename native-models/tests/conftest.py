import pytest

from loupe_models import world
from loupe_models.tokenizer import PromptEncoder, build_tokenizer


@pytest.fixture(scope="session")
def enc() -> PromptEncoder:
    """The prompt encoder on the world's question corpus, shared by the tests that train a few steps."""
    return PromptEncoder(build_tokenizer(world.question_corpus()))
