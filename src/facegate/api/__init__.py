"""The REST API: a FastAPI application over the gate, the compliance engine and the audit log.

from facegate.server import create_app  # the API with the web face mounted (facegate.api.app.create_api: alone)
app = create_app(home)
"""
