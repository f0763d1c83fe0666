"""User profiles of the community forum."""
