"""The scheduler's sweeps: follow-ups to customers, reminders and escalations to staff."""
