"""The emulated Bot API methods, grouped by what they act on."""
