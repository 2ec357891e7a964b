"""The one search's fixtures: the interaction log's stakeholders (CPSO and its registrar) and committee member."""

from tests.interactions.conftest import committee, stakeholders  # noqa: F401 (fixtures)
from tests.stakeholders.conftest import roster  # noqa: F401 (fixtures)
