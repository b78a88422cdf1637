"""pytest plugin: fixtures giving a running offline exchange and a connected client."""
