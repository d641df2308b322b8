"""A sweep of small GANs, read side by side: `panel serve apps/sweep.py` (or `panel serve apps/`)."""

import panel as pn

from ganlab_panel.sweeps.page import SweepPage

pn.extension(notifications=False)
pn.config.raw_css.append("body { background: #f7f7f7; }")   # the page's grey reaches its bottom

SweepPage.from_url().servable(title="GAN Lab: sweep")
