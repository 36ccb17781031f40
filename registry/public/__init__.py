"""Face 3, the public read-only pages under /<lang>/ (docs/architecture.md §10)."""
