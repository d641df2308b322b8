"""GAN Lab as a Panel app: `panel serve apps/ganlab.py` (or `panel serve apps/`)."""

import panel as pn

from ganlab_panel import GANLab

pn.extension(notifications=False)

GANLab.from_url().servable(title="GAN Lab")
