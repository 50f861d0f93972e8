"""The operator's tooling: the ``regionet`` command, the local supervisor with embedded NATS and
Postgres, the demo region and the dead-letter commands.

It sits on top of the platform library (the rest of ``shared/``) and finds the services through
the registry (:mod:`shared.services`): their CLI subcommands in ``services/<name>/cli.py`` and
their demo loaders in ``services/<name>/demo.py``. The library never imports the tooling.
"""
