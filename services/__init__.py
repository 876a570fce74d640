"""The business operations, one transaction each, used alike by the chat and any other caller.

A service takes typed input, checks the role and the version, applies the rules of
:mod:`process`, writes through :mod:`storage` and queues its messages through the outbox.
It knows nothing of Telegram updates.
"""
