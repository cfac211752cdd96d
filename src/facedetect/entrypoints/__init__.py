"""Entrypoints: the CLI, the AWS Lambda handler, the REST app and the local HTTP server."""
