"""What a staff page answers when what it was asked for is not there."""

from __future__ import annotations

from assistant.web.pages.access import Viewer


class NotFound(Exception):
    """An unknown interview, finding or job: a plain page, never a traceback."""

    def __init__(self, viewer: Viewer) -> None:
        super().__init__("not found")
        self.viewer = viewer
