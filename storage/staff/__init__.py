"""The utility's staff: members, invites, disabling, assignment, and their work queues."""
