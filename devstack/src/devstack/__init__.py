"""The local stack behind `make dev`."""
