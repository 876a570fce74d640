"""Fixed keys for tests: personal data in test databases is sealed as in production."""

from __future__ import annotations

from storage.sealing.crypto import FieldCipher

# Generated once with os.urandom(32); they protect nothing but test data.
TEST_SECRET_KEY = "q6dN0Fg8l5m0cWZbqk0f3Sx3tIXt4JZ3oJvVq2y7n0c="
NEXT_SECRET_KEY = "Yx1QfCk2m6k3mR9vJ8g4c0lq5VbTzN7wEoPa1sUdXhI="


def make_test_cipher() -> FieldCipher:
    return FieldCipher.from_secrets(TEST_SECRET_KEY)
