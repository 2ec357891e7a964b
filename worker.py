"""The mail worker's entry point: flask --app worker crm worker (the app without its views; see create_worker_app)."""

from crm import create_worker_app

app = create_worker_app()
