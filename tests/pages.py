"""Checks shared by the page tests. A plain module, not a test module, like bridge.py: test
modules import helpers from here, never from one another."""


def assert_error(response, status):
    """The one error shape of the digest pages' JSON (``ok``, ``error``, ``status``, ``title``)."""
    assert response.status_code == status
    data = response.json()
    assert set(data) == {"ok", "error", "status", "title"}
    assert data["ok"] is False and data["status"] == status and data["error"]
    return data


async def get_as(datasette, path, actor=None):
    """A request through Datasette's test client, signed in as ``actor`` (none: anonymous)."""
    cookies = {"ds_actor": datasette.sign({"a": actor}, "actor")} if actor else {}
    return await datasette.client.get(path, cookies=cookies)
