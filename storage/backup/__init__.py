"""Backups: consistent snapshots of the live database, their encryption, and restoring one."""
