"""Two GAN Lab experiments side by side: `panel serve apps/compare.py` (or `panel serve apps/`)."""

import panel as pn

from ganlab_panel import CompareLab

pn.extension(notifications=False)

CompareLab.from_url().servable(title="GAN Lab: compare")
