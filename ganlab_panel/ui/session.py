"""What every page of the app shares: its message area, and its life as a session.

A page (the lab, the comparison) is a ``Session``: it shows one notice or
problem at a time (``notify``), tries the user's input and says what went
wrong without changing anything (``_attempt``), and, served, closes when its
session ends: its watchers go first, then what it holds (``_release``).
"""

from __future__ import annotations

import html

import panel as pn
import param
from panel.viewable import Viewer

from ganlab_panel.engine.errors import ConfigError, GANLabError
from ganlab_panel.ui.document import register_session_end

#: the lab's message floats over the top of the page, which it never pushes down
MESSAGE_CSS = """
:host { position: absolute; top: 4px; left: 50%; transform: translateX(-50%); z-index: 55;
        width: min(760px, 92%); box-shadow: 0 4px 14px rgba(0, 0, 0, 0.18); border-radius: 4px;
        background: white; align-items: center; }
"""

#: each level's (background, text) colours
LEVEL_COLOURS = {"info": ("#e7f1fb", "#1d4f7c"), "success": ("#e6f4ea", "#1e6b34"),
                 "warning": ("#fff4e0", "#7a4b00"), "danger": ("#fde8e8", "#8a1c1c")}


def message_html(text: str, level: str = "info") -> str:
    """The message area's content: a notice (info, success) or a problem (warning, danger)."""
    bg, fg = LEVEL_COLOURS.get(level, LEVEL_COLOURS["info"])
    shown = "block" if text else "none"
    return (f'<div class="ganlab-message" data-level="{level}" style="display:{shown};background:{bg};'
            f'color:{fg};padding:8px 12px;border-radius:4px;font-size:13px">{html.escape(text)}</div>')


def unwatch_all(watchers: list) -> None:
    """Remove every param watcher in ``watchers`` and empty the list."""
    for w in watchers:
        w.inst.param.unwatch(w)
    watchers.clear()


def attempt(notify, what: str, action) -> bool:
    """Run ``action``; on bad input ``notify`` the user and keep everything as it was."""
    try:
        action()
    except (GANLabError, ConfigError, ValueError) as exc:
        notify(f"{what}: {exc}", "warning")
        return False
    return True


class Session(Viewer):
    """A page of the app: its message area and its lifecycle.

    ``floating`` puts the message over the top of the page with a button that
    dismisses it (the lab); otherwise it is a line of the page (compare).
    Subclasses keep their param watchers in ``_watchers`` (removed first on
    ``close``) and let go of what they hold in ``_release``.
    """

    message = param.String(default="", doc="The latest notice or error, shown in the message area.")
    message_level = param.Selector(default="info", objects=["info", "success", "warning", "danger"])

    def __init__(self, floating: bool = False, **params):
        super().__init__(**params)
        self._closed = False
        self._watchers: list = []
        if floating:
            self.message_pane = pn.pane.HTML(message_html("", "info"), margin=0, sizing_mode="stretch_width")
            dismiss = pn.widgets.Button(label="×", width=30, height=30, margin=(2, 2),
                                        css_classes=["ganlab-message-close"], description="Dismiss this message",
                                        stylesheets=[".bk-btn { font-size: 18px; padding: 0; }"])
            dismiss.on_click(lambda e: self.notify(""))
            self.message_box = pn.Row(self.message_pane, dismiss, visible=False, margin=0,
                                      stylesheets=[MESSAGE_CSS], css_classes=["ganlab-message-box"])
        else:
            self.message_pane = pn.pane.HTML(margin=(4, 10), sizing_mode="stretch_width")
            self.message_box = self.message_pane
        self._floating = floating

    # ---------------------------------------------------------- messages
    def notify(self, text: str, level: str = "info") -> None:
        """Show a notice (``info``/``success``) or a problem (``warning``/``danger``)."""
        self.message = text
        self.message_level = level
        self.message_pane.object = message_html(text, level)
        if self._floating:
            self.message_box.visible = bool(text)

    def clear_notice(self) -> None:
        """Training starts (Play, a step, ``train``): a notice (not a problem)
        goes, since what it said ("press Play", "loaded...") is no longer news."""
        if self.message and self.message_level in ("info", "success"):
            self.notify("")

    def _attempt(self, what: str, action) -> bool:
        """Run ``action``; on bad input tell the user and keep everything as it was."""
        return attempt(self.notify, what, action)

    # ---------------------------------------------------------- lifecycle
    @property
    def closed(self) -> bool:
        """Whether the page was closed (its session ended, or ``close()``)."""
        return self._closed

    def _end_with_session(self) -> None:
        """Served: the session's end closes the page (nothing in a notebook)."""
        register_session_end(self)

    def close(self) -> None:
        """Stop training and callbacks, and let go of the trainers and streams."""
        if self._closed:
            return
        self._closed = True
        # unwatch first: a session is closed after its document is gone, so
        # what is released next must not update any view (no document lock then)
        unwatch_all(self._watchers)
        self._release()

    def _release(self) -> None:
        """Let go of what the page holds (its subclass says what)."""
