"""Personal data at rest: keys and ciphers, which columns are sealed, re-sealing and erasure."""
