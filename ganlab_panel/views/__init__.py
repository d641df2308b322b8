"""One Panel Viewer per visual panel of the app; each builds its plots once
and afterwards only sends data (``update(scene)``)."""

from .charts import ChartsView
from .controls import ControlsView
from .drawing import DrawingView
from .layered import LayeredView
from .overview import OverviewGraph
from .settings import SettingsView
from .timeline import TimelineView

__all__ = ["ChartsView", "ControlsView", "DrawingView", "LayeredView", "OverviewGraph", "SettingsView", "TimelineView"]
