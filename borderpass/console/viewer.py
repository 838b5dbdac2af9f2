"""The on-page document viewer: thumbnails that open in a panel with zoom and rotation
(``static/console.js``), never in a new tab. Without JS a thumbnail is a plain link."""

from __future__ import annotations

from borderpass.console.base import PREFIX, _
from borderpass.console.html import Safe, h


def thumbnail(document_id: int, caption: str) -> Safe:
    """A document's image as a link the viewer opens on the page (each load audited)."""
    src = f"{PREFIX}/documents/{document_id}/image"
    return h("a", {"href": src, "class": "view", "data-viewer": "1",
                   "title": _("在本页查看（可放大、旋转）")},
             h("img", {"src": src, "alt": caption, "loading": "lazy"}))


def viewer() -> Safe:
    """The on-page document viewer (console.js opens it): zoom, rotate, previous/next."""
    def tool(action: str, text: str, title: str) -> Safe:
        return h("button", {"type": "button", "data-act": action, "title": title,
                            "aria-label": title}, text)

    bar = h("div", {"class": "viewer-bar"},
            h("span", {"class": "viewer-title"}),
            tool("prev", "‹", _("上一份材料")), tool("next", "›", _("下一份材料")),
            tool("zoom-out", "−", _("缩小")), tool("zoom-in", "+", _("放大")),
            tool("fit", "⤢", _("适合窗口")), tool("rotate-left", "⟲", _("向左旋转")),
            tool("rotate-right", "⟳", _("向右旋转")), tool("close", "✕", _("关闭")))
    return h("div", {"id": "viewer", "class": "viewer", "hidden": True, "role": "dialog",
                     "aria-modal": "true", "aria-label": _("材料查看")},
             bar, h("div", {"class": "viewer-stage"}, h("img", {"alt": ""})))
