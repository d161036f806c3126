"""Audio: exercise MP3s and read-aloud texts, rendered by jobs and cached per version."""
