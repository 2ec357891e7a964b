"""The lead's near-copies page: a campaign's letters by similarity band, per riding and per MPP."""

from flask import Blueprint, render_template

from crm.campaigns.models import Campaign
from crm.campaigns.similarity import NEAR_COPY, SIMILAR, band_counts
from crm.extensions import db

bp = Blueprint("similarity", __name__)


@bp.route("/manage/campaigns/<int:campaign_id>/similarity")
def campaign_similarity(campaign_id):
    """Share of near-copies per riding and per MPP, so a lead sees where form letters pile up."""
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template(
        "campaigns/similarity.html",
        campaign=campaign,
        counts=band_counts(db.session, campaign.id),
        near_copy=NEAR_COPY,
        similar=SIMILAR,
    )
