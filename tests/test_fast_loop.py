"""The fast loop leaves the slow tests out visibly (skipped, with the reason), not silently."""


def test_slow_tests_are_skipped_unless_run_slow(request):
    slow = [item for item in request.session.items if item.get_closest_marker("slow")]
    skipped = [item for item in slow if item.get_closest_marker("skip")]
    if request.config.getoption("--run-slow"):
        assert skipped == []
    else:
        assert skipped == slow
        assert all("--run-slow" in item.get_closest_marker("skip").kwargs["reason"] for item in skipped)
