"""Projects' entrypoints: the nameko service (RPC and its event consumer), payload schemas, answers."""
