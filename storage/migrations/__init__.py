"""Numbered schema migrations, ``NNNN_name.sql``, applied in order by :mod:`storage.migrate`.

A migration file is plain SQL run inside one transaction, so it must not contain BEGIN,
COMMIT or PRAGMAs that are ignored inside transactions (``foreign_keys``, ``journal_mode``).
Never edit a file that has been released; add the next number instead.
"""
