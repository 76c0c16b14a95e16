"""Background work: outbox dispatch, tasks with one retry policy, leases, dead letters, the in-process
runner and the Celery worker.

May import: ``evaluation`` and everything below it, and ``matcher.runtime``.
"""
