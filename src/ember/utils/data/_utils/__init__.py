"""DataLoader internals: collation and the worker loop."""
