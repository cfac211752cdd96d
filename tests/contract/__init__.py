"""The API contract, run against every transport."""
