"""Face 3, the public read-only pages under /<lang>/ (DESIGN.md, Public pages)."""
