"""The engine: everything that trains a GAN and describes a moment of it.

Config, data, models, losses, metrics, presets, the Trainer and its training
paths (``backends``), the Frame a moment becomes, and the engine's own
checkpoints. Needs only param and NumPy (numba for the compiled path, torch
for the PyTorch path, each imported only there): no Panel, HoloViews, Bokeh,
Datashader or Pillow.
"""
