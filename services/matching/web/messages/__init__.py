"""The web UI's words, one module per area (``common``, ``coach``, ``employer``, ``officer``).

Each module defines ``MESSAGES = {"nl": {...}, "de": {...}, "en": {...}}``; :mod:`..i18n`
merges them and refuses a key defined twice, so areas can grow without stepping on each other.
"""
