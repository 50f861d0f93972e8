"""Commands of the vouchers service, as plain functions over a unit of work, one module per topic.

:mod:`.commands` holds what they accept. Each command raises a
:class:`~shared.errors.ClientError` with a sentence the caller can act on, before anything is
changed.
"""
