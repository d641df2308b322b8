"""What is drawn, and when: the Scene (a Frame plus Datashader's dense rasters),
the geometry and colours every picture shares, and the history a run rewinds to.
No Panel, HoloViews or Bokeh."""
