"""The sandbox's web chat: a Telegram-like page for playing staff and customers in a browser."""
