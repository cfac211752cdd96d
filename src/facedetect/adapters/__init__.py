"""Adapters: the ports bound to memory, a local directory, S3 and DynamoDB."""
