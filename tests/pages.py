"""Checks shared by the page tests. A plain module, not a test module, like bridge.py: test
modules import helpers from here, never from one another."""


def assert_error(response, status):
    """The one error shape of the digest pages' JSON (``ok``, ``error``, ``status``, ``title``)."""
    assert response.status_code == status
    data = response.json()
    assert set(data) == {"ok", "error", "status", "title"}
    assert data["ok"] is False and data["status"] == status and data["error"]
    return data
