"""What the training controls say: the speed presets' labels, and the ten
sub-steps slow motion plays each iteration as, each with the parts of the
overview graph it highlights and the sentence that explains it.

View text only; when each sub-step trains is ``live.worker``'s (the
discriminator at sub-step 5, the generator at 10).
"""

from __future__ import annotations

from dataclasses import dataclass

from ganlab_panel.live.governor import GANLAB_RATE
from ganlab_panel.live.worker import DEFAULT_FPS


@dataclass(frozen=True)
class SubStep:
    number: int
    network: str            # "d" or "g": whose half of the iteration
    components: tuple[str, ...]
    text: str


SLOW_STEPS: tuple[SubStep, ...] = (
    SubStep(1, "d", ("noise", "generator", "fake"),
            "The generator turns a batch of random noise into fake samples."),
    SubStep(2, "d", ("real", "fake", "discriminator", "pred_real", "pred_fake"),
            "The discriminator scores real and fake samples: green means it says “real”, purple “fake”."),
    SubStep(3, "d", ("d_loss",),
            "The discriminator's loss is low when real samples score near 1 and fake ones near 0."),
    SubStep(4, "d", ("d_grad",),
            "Backpropagation gives the gradient of that loss for every discriminator weight."),
    SubStep(5, "d", ("discriminator",),
            "The optimizer updates the discriminator (k_D times): its heatmap changes."),
    SubStep(6, "g", ("noise", "generator", "fake"),
            "The generator's turn: it makes fake samples from noise again."),
    SubStep(7, "g", ("fake", "discriminator", "pred_fake"),
            "The updated discriminator scores the fake samples."),
    SubStep(8, "g", ("g_loss",),
            "The generator's loss is low when the discriminator calls its samples real."),
    SubStep(9, "g", ("g_grad",),
            "The gradient flows back through the discriminator into the generator; "
            "the pink arrows show which way each fake sample is pulled."),
    SubStep(10, "g", ("generator",),
            "The optimizer updates the generator (k_G times): the fake samples and the manifold move."),
)

#: presets of the speed control: label -> iterations per frame (0: as fast as possible).
SPEEDS = {
    "As fast as possible": 0,
    f"GAN Lab's pace ({GANLAB_RATE} it/s)": GANLAB_RATE / DEFAULT_FPS,
    "10 iterations per frame": 10,
    "50 iterations per frame": 50,
}
