"""What ``explain`` and ``replay`` read as one event each."""

from __future__ import annotations

import orjson

from wsbridge.consumer.inputs import split_events


def test_one_object_is_one_body() -> None:
    assert list(split_events(b'{"id": "a"}')) == [b'{"id": "a"}']


def test_an_array_of_objects_is_split() -> None:
    bodies = list(split_events(b'[{"id": "a"}, {"id": "b"}]'))
    assert [orjson.loads(body)["id"] for body in bodies] == ["a", "b"]


def test_json_lines_are_split_and_blank_lines_ignored() -> None:
    assert list(split_events(b'{"id": "a"}\n\n{"id": "b"}\n')) == [b'{"id": "a"}', b'{"id": "b"}']


def test_an_array_of_non_objects_and_an_empty_array_stay_one_body() -> None:
    assert list(split_events(b"[1, 2]")) == [b"[1, 2]"]
    assert list(split_events(b"[]")) == [b"[]"]


def test_garbage_is_one_body_for_the_envelope_to_reject() -> None:
    assert list(split_events(b"not json\nat all")) == [b"not json\nat all"]


def test_nothing_but_whitespace_is_no_event() -> None:
    assert list(split_events(b"  \n ")) == []
