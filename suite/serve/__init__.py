"""`suite serve`: the loaded models behind an HTTP API (FastAPI + uvicorn) and a web page.

Importing this package is cheap: fastapi and uvicorn are imported only by :mod:`suite.serve.app` and
:mod:`suite.serve.cli`'s ``run``, so other commands never pay for them.
"""
