"""The baseline servers, each run as its own process by bench.run."""
