"""Stand-in for the self-hosted Convex backend (tests only; see ../../README.md)."""
