"""One Panel Viewer per visual panel of the app; each builds its plots once
and afterwards only sends data (``update(scene)``)."""

from ganlab_panel.ui.views.charts import ChartsView
from ganlab_panel.ui.views.controls import ControlsView
from ganlab_panel.ui.views.drawing import DrawingView
from ganlab_panel.ui.views.layered import LayeredView
from ganlab_panel.ui.views.overview import OverviewGraph
from ganlab_panel.ui.views.settings import SettingsView
from ganlab_panel.ui.views.timeline import TimelineView

__all__ = ["ChartsView", "ControlsView", "DrawingView", "LayeredView", "OverviewGraph", "SettingsView", "TimelineView"]
