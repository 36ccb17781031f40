"""Face 1, the partner REST API under /api/v1/ (docs/architecture.md §8)."""
