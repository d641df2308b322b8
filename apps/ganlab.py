"""GAN Lab as a Panel app: `panel serve apps/ganlab.py` (or `panel serve apps/`)."""

import panel as pn

from ganlab_panel import GANLab

pn.extension(notifications=False)
pn.config.raw_css.append("body { background: #f7f7f7; }")   # the page's grey reaches its bottom

GANLab.from_url().servable(title="GAN Lab")
