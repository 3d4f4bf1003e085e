"""Identity's entrypoints: the nameko service, its payload schemas and its answers' shapes."""
