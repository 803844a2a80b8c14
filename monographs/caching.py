"""PLACEHOLDER (owned by the public-pages work): server-side page cache invalidation.

Contract: invalidate_monograph(monograph) is called by workflow.py on commit after every
publish, withdraw, restore or revert that changes what the public sees.
"""

from __future__ import annotations

from typing import Any


def invalidate_monograph(monograph: Any) -> None:
    return None
