"""The story level: what events.cluster compares articles by once stories and events are two levels."""

from dataclasses import replace

from datasette_newsdigest import events

BODY = ("Drones struck two office towers in Moscow City early on Sunday, Mayor Sergei Sobyanin said, "
        "and Vnukovo Airport closed for an hour.")


def test_story_vectors_leave_names_out_and_the_split_keeps_them():
    """Names tell one incident of a story from the next, so the story level sets them aside while
    the features split_story reads still carry them."""
    story = events.features("Drones hit Moscow", BODY, events.Params(), events.Params().name_repeat)
    split = events.features("Drones hit Moscow", BODY, events.Params())
    assert not any(t.startswith("@") for t in story)
    assert {"@moscow city", "@vnukovo airport"} <= set(split)
    assert [t for t in split if not t.startswith("@")] == story


def test_name_repeat_counts_names_in_cluster_vectors():
    with_names = replace(events.Params(), name_repeat=2)
    terms = events.features(None, BODY, with_names, with_names.name_repeat)
    assert terms.count("@moscow city") == 2
