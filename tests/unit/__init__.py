"""Unit tests of the core library (a package, so module names cannot clash with other suites)."""
