"""The /ops panels: one module per panel family, and their text views (`view`, `figures`)."""
