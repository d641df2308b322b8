"""The control bar's icons, as small inline SVGs (no icon font to fetch, so
they show offline and in a notebook alike)."""

from __future__ import annotations


def _svg(body: str, size: int = 20) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 24 24" '
            f'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
            f'stroke-linejoin="round">{body}</svg>')


#: start over (GAN Lab's reset)
RESET = _svg('<path d="M4 12a8 8 0 1 0 2.5-5.8"/><path d="M4 4v5h5"/>')
#: play and pause, filled
PLAY = _svg('<path d="M7 4.5v15l12.5-7.5z" fill="currentColor"/>')
PAUSE = _svg('<rect x="6" y="5" width="4" height="14" fill="currentColor"/>'
             '<rect x="14" y="5" width="4" height="14" fill="currentColor"/>')
#: slow motion: a dashed dial (GAN Lab's)
SLOW = _svg('<circle cx="12" cy="12" r="8.5" stroke-dasharray="3 2.4"/><path d="M12 12l3.5-3.5"/>')
#: one whole iteration: play to a bar
STEP = _svg('<path d="M5 5v14l10-7z" fill="currentColor"/><path d="M18 5v14"/>')
#: a file menu: a tray with an arrow
FILES = _svg('<path d="M4 15v4h16v-4"/><path d="M12 4v10"/><path d="M8 10l4 4 4-4"/>', size=18)


def letter_step(letter: str, colour: str) -> str:
    """One step of one network: its letter before a step mark, in its colour."""
    return _svg(f'<text x="1" y="17" font-size="14" font-weight="700" fill="{colour}" stroke="none" '
                f'font-family="Arial, sans-serif">{letter}</text><path d="M14 7v10l6-5z" fill="{colour}" '
                f'stroke="{colour}"/>')
