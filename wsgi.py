"""WSGI entry point (`flask --app wsgi ...`, gunicorn `wsgi:app`).

`python wsgi.py` serves locally (development server, used by `make run`).
"""

from app import create_app
from core.extensions import socketio

app = create_app()

if __name__ == "__main__":
    from app.serve import serve

    serve(app, socketio)
