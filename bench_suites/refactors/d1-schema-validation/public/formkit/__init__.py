"""formkit: request handling for a tiny user directory service."""
