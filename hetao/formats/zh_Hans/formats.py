"""Number formats for Chinese pages, over Django's own (which it falls back to for the rest).

Django's Chinese locales group digits by four with no separator, so 4000000 is shown as
``4000000``. Amounts in the zone's own publications (HKD and CNY funding, in Chinese as in
English) are written in groups of three with commas: ``4,000,000``.
"""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
