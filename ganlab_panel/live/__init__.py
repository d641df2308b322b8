"""What is drawn, and when: the Scene (a Frame plus Datashader's dense rasters),
the geometry and colours every picture shares, the history a run rewinds to,
and the worker that trains live play in a thread of its own and hands its
frames over. No Panel, HoloViews or Bokeh."""
