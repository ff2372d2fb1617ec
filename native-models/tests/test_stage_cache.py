"""The pipeline's stage cache reuses a result only while its inputs are unchanged."""

import json

from loupe_models.stage_cache import file_digest, json_digest, record, reusable


def test_a_result_is_reused_only_while_its_inputs_are_the_same(tmp_path):
    logs: list[str] = []
    path = tmp_path / "consensus.json"
    inputs = {"teacher": "abc", "pool_items": 6000, "lr": 7e-4}
    assert not reusable(path, inputs, logs.append)  # nothing cached yet

    path.write_text("{}")
    record(path, inputs)
    assert reusable(path, dict(inputs), logs.append)
    assert not logs

    assert not reusable(path, {**inputs, "teacher": "def"}, logs.append)  # the teacher changed
    assert "teacher" in logs[-1] and "pool_items" not in logs[-1]


def test_a_result_cached_before_sidecars_is_reused_once_and_then_guarded(tmp_path):
    logs: list[str] = []
    path = tmp_path / "student-r2i.pt"
    path.write_bytes(b"weights")
    assert reusable(path, {"teacher": "abc"}, logs.append)
    assert "without a record" in logs[-1]
    assert not reusable(path, {"teacher": "new"}, logs.append)


def test_file_digest_follows_the_content(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    a.write_bytes(b"one")
    b.write_bytes(b"one")
    assert file_digest(a) == file_digest(b)
    b.write_bytes(b"two")
    assert file_digest(a) != file_digest(b)


def test_json_digest_names_the_content_whatever_the_key_order_or_round_trip():
    labels = {3: "red", 10: "B", 2: "7"}
    # the pipeline digests labels as read back from JSON (string keys), fresh or cached
    assert json_digest(json.loads(json.dumps(labels))) == json_digest({"10": "B", "2": "7", "3": "red"})
    assert json_digest({"3": "red"}) != json_digest({"3": "blue"})
