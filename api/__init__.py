"""The integration API: the utility's other systems (the marketing system, the 95598 hotline,
the service website) read and drive applications over HTTP, through the same services and
storage as the chat. Served by the bot's own process when ``HVCONNECT_API_LISTEN`` is set.
"""
