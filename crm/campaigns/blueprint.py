"""The campaigns blueprint, shared by the member pages (views.py) and the lead's pages (lead_views.py)."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__)
