"""In-process twins of the Redis adapters: the embedded default and the tests."""
