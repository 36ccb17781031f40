"""Number formats for 繁體 pages: the same as for 简体 (see hetao/formats/zh_Hans/formats.py)."""

from hetao.formats.zh_Hans.formats import NUMBER_GROUPING, THOUSAND_SEPARATOR

__all__ = ["NUMBER_GROUPING", "THOUSAND_SEPARATOR"]
