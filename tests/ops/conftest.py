"""The campaign fixtures, for letters to count."""

from tests.campaigns.conftest import make_campaign  # noqa: F401  (a fixture)
