"""Candidate profiles drafted from CVs.

Owns: reading an uploaded CV (PDF, DOCX, ODT, plain text) in a separate, limited process and
refusing hostile files (:mod:`.extract`); turning its text into a draft profile whose every field
names the CV line it came from (:mod:`.draft`); the seeker's use cases around it, including a CV
kept on request with the profile (:mod:`.service`). The generated corpus it is measured on lives in
``matcher.evaluation`` (it needs the demo profiles, a layer above).

May import: catalog and everything below it (and the ``Runtime`` type only
under ``TYPE_CHECKING``). pypdf, python-docx and odfpy are imported only by the readers, in the worker process.
"""
