"""The Streamlit entry point of the c360 app (``c360 app`` runs it); the app is in ``app/``.

It lives here, beside ``app/`` and not in it, because Streamlit reads a ``pages/`` folder
next to its entry point as an old-style multipage app: a first visit to a page's URL would
then run that page alone, without the app's navigation and filters.
"""

from app.main import run

run()
