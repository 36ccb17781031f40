"""Face 1, the partner REST API under /api/v1/ (DESIGN.md, REST API)."""
