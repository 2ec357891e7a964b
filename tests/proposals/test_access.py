"""Every proposals endpoint is in the access table, with the public ones the issue names."""

from crm.auth.access import ACCESS, PUBLIC, STAFF


def test_every_proposals_route_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("proposals.")}
    assert endpoints and endpoints <= set(ACCESS)
    public = {e for e in endpoints if ACCESS[e] == PUBLIC}
    assert public == {
        "proposals.public_index",
        "proposals.public_version",
        "proposals.print_version",
        "proposals.download_pdf",
        "proposals.scoreboard",
    }
    assert all(ACCESS[e] == STAFF for e in endpoints - public)
