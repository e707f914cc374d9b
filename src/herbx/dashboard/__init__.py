"""``herbx dashboard``: a read-only live web page over a folder of runs.

:mod:`herbx.dashboard.runs` (run discovery and live state) imports nothing heavy; the web
application itself is :func:`herbx.dashboard.app.create_app` (Starlette, served by uvicorn).
The page and its scripts ship in ``herbx/dashboard/static``: no CDN, works offline.
"""
