"""The kiosk's screens, drawn with pygame from the plain screen models in kiosk.screens."""

from kiosk.ui.render import Button, Renderer, RenderReport, UiAction, save_png

__all__ = ["Button", "RenderReport", "Renderer", "UiAction", "save_png"]
