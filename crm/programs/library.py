"""The programs' library: resources (files and links) for members, by program and licensure stage."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from crm.lib.errors import ValidationError
from crm.members.models import MemberProfile
from crm.programs.files import check_upload, store_file, stored_path
from crm.programs.models import Program, Resource
from crm.programs.services import STAGE_LABELS


def _stages(stages) -> str:
    chosen = [s for s in (stages or []) if s]
    unknown = [s for s in chosen if s not in STAGE_LABELS]
    if unknown:
        raise ValidationError("stages", gettext("Choose licensure stages from the list."))
    return ",".join(chosen)


def add_resource(
    session: Session,
    *,
    program_id: int,
    title: str,
    description: str = "",
    url: str | None = None,
    filename: str | None = None,
    data: bytes | None = None,
    stages=(),
    created_by_id: int | None = None,
) -> Resource:
    """Add a link or an uploaded file (type and size checked) to a program's library."""
    if session.get(Program, program_id) is None:
        raise ValidationError("program_id", gettext("Choose one of the programs."))
    url = (url or "").strip() or None
    has_file = bool(filename)
    if bool(url) == has_file:
        raise ValidationError("url", gettext("Give either a link or a file, not both."))
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValidationError("url", gettext("Links must start with https:// or http://."))
    resource = Resource(
        program_id=program_id,
        title=title.strip(),
        description=(description or "").strip(),
        url=url,
        stages=_stages(stages),
        created_by_id=created_by_id,
    )
    if has_file:
        extension, content_type = check_upload(filename, data or b"")
        resource.stored_name, resource.sha256 = store_file(extension, data)
        resource.content_type, resource.size_bytes = content_type, len(data)
        from werkzeug.utils import secure_filename

        resource.original_name = (secure_filename(filename) or f"resource.{extension}")[:200]
    session.add(resource)
    session.flush()
    return resource


def delete_resource(session: Session, resource_id: int) -> str | None:
    """Delete a resource row; returns its stored file name so the caller removes the file after committing."""
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise ValidationError(None, gettext("That resource no longer exists."))
    stored = resource.stored_name
    session.delete(resource)
    session.flush()
    return stored


def remove_stored_file(stored_name: str | None) -> None:
    if stored_name:
        stored_path(stored_name).unlink(missing_ok=True)


def resources_for(session: Session, *, program_id: int | None = None, stage: str | None = None) -> list[Resource]:
    """A program's library, or every resource tagged for a stage (untagged ones suit every stage)."""
    stmt = select(Resource).options(joinedload(Resource.program)).order_by(Resource.program_id, Resource.title)
    if program_id is not None:
        stmt = stmt.where(Resource.program_id == program_id)
    resources = list(session.scalars(stmt))
    if stage is not None:
        resources = [r for r in resources if not r.stage_list or stage in r.stage_list]
    return resources


def member_stage(session: Session, user_id: int) -> str | None:
    return session.scalar(select(MemberProfile.licensure_stage).where(MemberProfile.user_id == user_id))
