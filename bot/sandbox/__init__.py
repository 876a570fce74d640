"""Running the bot offline against the embedded emulator, with a movable clock and seeded staff."""
