"""The managers' dashboard and its HTTP API."""
