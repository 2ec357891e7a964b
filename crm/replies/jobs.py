"""The surveys as a scheduled job (crm/lib/schedule.py): hourly, so a letter is asked about at most an hour late."""

from crm.lib.schedule import Every, scheduled_job
from crm.replies.services import queue_due_surveys


@scheduled_job("reply-surveys", Every(3600), "Ask members 14 days after delivery whether the office replied")
def queue_surveys_job(session, now) -> dict:
    """Queue the due "did they reply?" surveys (the runner commits)."""
    return {"surveys": queue_due_surveys(session, now)}
