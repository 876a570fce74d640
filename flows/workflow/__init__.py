"""The workflow in the chat: the staff card, the action buttons, and the inputs an action needs."""
