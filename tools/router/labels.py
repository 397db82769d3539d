"""The router's label set, in a fixed order shared by training, the artifact and the metrics."""

from __future__ import annotations

from typing import Final

CATEGORIES: Final = ("network", "software_cloud", "hardware", "out_of_scope")
IN_SCOPE: Final = ("network", "software_cloud", "hardware")
OUT_OF_SCOPE: Final = "out_of_scope"
