"""The HTTP server: the app factory, client tokens and roles, the sync and prompts APIs, waitress."""
