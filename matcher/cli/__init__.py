"""The ``matcher`` command line (Typer): one module per command group. Heavy imports happen inside
commands, so ``--help`` stays fast.

May import: anything in ``matcher``.
"""
