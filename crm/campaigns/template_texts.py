"""Letter template versions as plain texts kept per process: a saved version never changes, so a send reads its
blocks once per process, not with every letter. Why: docs/design-notes.md, "campaigns/template_texts.py".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload

from crm.campaigns.models import LetterTemplate

MAX_KEPT = 256  # versions per process; the oldest kept goes first


@dataclass(frozen=True)
class BlockText:
    """A block as composing reads it (the attributes of `LetterBlock` it uses)."""

    position: int
    kind: str
    label: str | None
    body: str
    min_length: int


@dataclass(frozen=True)
class TemplateText:
    """A template version as composing and the letter page read it (the attributes of `LetterTemplate` they use)."""

    id: int
    campaign_id: int
    version: int
    language: str
    subject: str
    blocks: tuple[BlockText, ...]
    created_at: datetime | None = None


_kept: dict[tuple, TemplateText] = {}
_lock = threading.Lock()


def _key(template_id: int, campaign_id: int, version: int, created_at) -> tuple:
    return (template_id, campaign_id, version, created_at)


def text_of(template: LetterTemplate) -> TemplateText:
    """A loaded template (with its blocks) as a text, kept for the sends that follow."""
    text = TemplateText(
        template.id,
        template.campaign_id,
        template.version,
        template.language,
        template.subject,
        tuple(BlockText(b.position, b.kind, b.label, b.body, b.min_length) for b in template.blocks),
        template.created_at,
    )
    _keep(text)
    return text


def _keep(text: TemplateText) -> None:
    with _lock:
        _kept[_key(text.id, text.campaign_id, text.version, text.created_at)] = text
        while len(_kept) > MAX_KEPT:
            del _kept[next(iter(_kept))]


def template_text(
    session: Session, template_id: int, campaign_id: int, version: int, created_at
) -> TemplateText | None:
    """The version the caller found in the database (its id, campaign, number and creation time), from this
    process's texts, else read with its blocks (one statement) and kept."""
    text = _kept.get(_key(template_id, campaign_id, version, created_at))
    if text is not None:
        return text
    template = session.scalar(
        select(LetterTemplate)
        .where(LetterTemplate.id == template_id, LetterTemplate.campaign_id == campaign_id)
        .options(joinedload(LetterTemplate.blocks))
    )
    return None if template is None else text_of(template)


def forget(template_id: int) -> None:
    """Drop any text kept under `template_id` (an id used again, as SQLite may after deletions)."""
    with _lock:
        for key in [key for key in _kept if key[0] == template_id]:
            del _kept[key]


@event.listens_for(LetterTemplate, "after_insert")
def _new_version(_mapper, _connection, target: LetterTemplate) -> None:
    """A version saved in this process takes its id's place: nothing kept under that id is served again."""
    forget(target.id)
