"""The direct approach: a recruiter's message to a candidate for one offer, the candidate's answer,
the offer's pipeline (every candidate's stage and its history), the measures HR reads from them, and
the signed one-click answer links sent by e-mail.

Owns the ``approaches``, ``pipeline_events``, ``approach_preferences`` and ``approach_templates``
tables. Stage changes a recruiter decides (interview, hired, not retained) are recorded as decisions
through :mod:`matcher.shortlists.decisions`, so the audit chain and the training labels have one source.

May import: ``shortlists`` and everything below it (``catalog``, ``governance``, ``notify``, ``ranking``…).
"""
