"""Benchmarks of Regionet's building blocks against real servers.

Run every benchmark with ``python -m bench`` or one with ``python -m bench outbox``; see
``bench/README.md``. Each benchmark measures its own raw baseline in the same run and reports
the ratio, because absolute figures drift between runs and machines.
"""
