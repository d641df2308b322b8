"""The app: HoloViews plots, Panel views, the lab and compare pages, the
training runner that feeds them, and the one module that knows Panel's and
Bokeh's internals (``document``)."""
