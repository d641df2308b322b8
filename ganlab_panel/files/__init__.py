"""Files a user takes away or brings: GAN Lab's model format, pictures (PNG,
GIF, the whole screen) and the export bundle. No Panel, HoloViews or Bokeh."""
