"""The training paths: one module each. Which path may train which settings is
in the support table here; the Trainer asks it before every chunk of training."""
