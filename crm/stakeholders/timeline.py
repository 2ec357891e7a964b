"""The timeline area of a person's or organization's page.

The directory sits below the interaction log, so it cannot call it: packages above register a
provider here, and the detail pages render whatever the providers give them.
"""

from collections.abc import Callable

# provider(session, subject, page_number) -> {"template": ..., **context}
_providers: list[Callable] = []


def register_timeline_provider(provider: Callable) -> Callable:
    _providers.append(provider)
    return provider


def timeline_sections(session, subject, page_number: int = 1) -> list[dict]:
    """What each registered provider shows for this person or organization."""
    return [section for provider in _providers if (section := provider(session, subject, page_number))]
