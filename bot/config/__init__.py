"""Configuration: environment variables and an optional TOML file, checked at start-up."""
