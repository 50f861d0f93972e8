"""The coaches', employers' and programme officers' web UI, served by matching (see pages.py)."""
