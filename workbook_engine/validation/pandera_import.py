"""pandera, imported without its data-synthesis extra.

When hypothesis is installed, pandera imports it (about 0.2 s, a fifth of `wbe validate`'s whole start-up)
for strategies that generate example data; validation never uses them. Unless hypothesis is already loaded
(the test suite), pandera is imported here as on a machine without hypothesis, and afterwards hypothesis can
be imported normally.
"""

from __future__ import annotations

import sys


def _import_without_hypothesis() -> None:
    if "hypothesis" in sys.modules:
        return
    sys.modules["hypothesis"] = None  # type: ignore[assignment]  # `import hypothesis` raises ImportError
    try:
        import pandera.backends.pandas.register  # noqa: F401  (registers the checks, importing the strategies)
        import pandera.strategies.pandas_strategies  # noqa: F401
    finally:
        del sys.modules["hypothesis"]


_import_without_hypothesis()

import pandera.pandas as pa  # noqa: E402
from pandera import dtypes  # noqa: E402
from pandera.engines import pandas_engine  # noqa: E402
from pandera.typing import Series  # noqa: E402

__all__ = ["pa", "Series", "dtypes", "pandas_engine"]
