"""The same check on several kernels, side by side: results merged into one report.

Pure: reads the JSON that ``lab check --json`` writes (tables or notes), from
this run or from runs made anywhere else (``lab diff``).
"""

from __future__ import annotations
