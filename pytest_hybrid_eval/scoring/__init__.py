"""Judging a candidate: the ``Scorer`` protocol (``base``), its implementations and one dispatch (``registry``).

Kept free of imports so that the review modules can use ``scoring.base`` without a cycle.
"""
