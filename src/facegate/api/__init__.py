"""The REST API: a FastAPI application over the gate, the compliance engine and the audit log.

from facegate.api.app import create_app
app = create_app(home)                 # uvicorn facegate.api.app:app serves $FACEGATE_HOME
"""
