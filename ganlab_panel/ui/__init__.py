"""The app: HoloViews plots, Panel views, the lab and compare pages, and what
they share (the page address, the session and its notices, uploads).

``runner`` feeds the views scenes from the training worker (``live.worker``).
``document``, ``notebook_flow``, ``bokehjs`` and ``widgets`` are the only
modules that know Panel's and Bokeh's internals; each says which, and why."""
