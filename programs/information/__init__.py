"""Information modules: reading progress (the texts are program content)."""
