"""`dnalens serve`: one model loaded once behind an HTTP API (docs/SERVE.md).

limits (request limits, auth, loopback), batching (the worker thread that owns the model), work (requests →
operation calls), app (FastAPI routes), server (start-up checks and uvicorn). FastAPI and uvicorn are the
optional extra `dnalens[serve]`, imported only here.
"""
