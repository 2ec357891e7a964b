"""Home page fixtures: the campaign and member factories of tests/campaigns."""

from tests.campaigns.conftest import make_campaign, make_member  # noqa: F401 (fixtures)
