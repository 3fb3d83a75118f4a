"""The queue's table: Textual's DataTable, with every changed cell of a repaint applied at once."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, RowKey

CellChange = tuple[str, str, RenderableType, bool]  # row key, column key, value, the text outgrows its column


class QueueTable(DataTable[RenderableType]):
    """A once-a-second tick changes two cells of every row: 2,000 at 1,000 open items.

    ``DataTable.update_cell`` invalidates the render caches and schedules a refresh per cell, which
    costs more than the tick's own work; :meth:`update_cells` does both once per repaint. It sets
    the same state ``update_cell`` sets (Textual 8.2, pinned ``<9``); ``tests/manager`` pins the result.
    """

    def update_cells(self, changes: Iterable[CellChange]) -> None:
        changed = False
        for row, column, value, grows in changes:
            row_key, column_key = RowKey(row), ColumnKey(column)
            if row_key not in self._row_locations or column_key not in self._column_locations:
                self.update_cell(row_key, column_key, value)  # raises CellDoesNotExist, as update_cell does
            self._data[row_key][column_key] = value
            if grows:  # measuring a column costs a pass over every row: only when a text outgrows it
                self._updated_cells.add(CellKey(row_key, column_key))
                self._require_update_dimensions = True
            changed = True
        if changed:
            self._update_count += 1
            self.refresh()
