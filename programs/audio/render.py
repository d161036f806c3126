"""Exercise audio and read-aloud texts, mixed as samples and encoded to MP3 with lameenc."""

from __future__ import annotations

import math
from array import array

import lameenc

from pelvicoach.programs.audio import speech
from pelvicoach.programs.audio.timeline import Timeline

RATE = speech.SAMPLE_RATE
BIT_RATE = 64  # kbit/s, mono: clear speech, small downloads
TONE_SECONDS = 0.25
VOICE_DELAY = 0.35  # the words follow the tone
# A higher tone to tighten, a lower one to let go; everything else in between.
TONE_HZ = {
    "squeeze": 880,
    "squeeze_cough": 880,
    "quick": 988,
    "hold": 740,
    "relax": 440,
    "rest": 440,
}
DEFAULT_HZ = 587


def tone(hz: float, seconds: float = TONE_SECONDS, volume: float = 0.35) -> array:
    """A soft sine beep with short fades, so it does not click."""
    count = int(RATE * seconds)
    fade = int(RATE * 0.02)
    samples = array("h", bytes(2 * count))
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade)
        samples[i] = int(32767 * volume * envelope * math.sin(2 * math.pi * hz * i / RATE))
    return samples


def _place(track: array, at: int, sound: array, end: int) -> None:
    """Put `sound` into the silent `track` from sample `at`, never past `end` (the next cue).
    Tone and words follow each other, so nothing needs mixing."""
    part = sound[: max(0, end - at)]
    track[at : at + len(part)] = part


def encode(samples: array) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BIT_RATE)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(5)
    return bytes(encoder.encode(samples.tobytes()) + encoder.flush())


def exercise(line: Timeline, locale: str) -> tuple[bytes, bool]:
    """The exercise as MP3, exactly `line.total` seconds long: at each cue a tone, then its
    words. Words too long for a quick cue are said the first time only, tones after that.
    Returns the MP3 and whether the words are in it."""
    track = array("h", bytes(2 * RATE * line.total))
    spoken = speech.available()
    voiced: dict[str, array] = {}
    for cue in line.cues:
        at, end = cue.start * RATE, (cue.start + cue.seconds) * RATE
        _place(track, at, tone(TONE_HZ.get(cue.cue, DEFAULT_HZ)), end)
        if not spoken:
            continue
        said = cue.words in voiced
        if not said:
            voiced[cue.words] = speech.speak(cue.words, locale)
        words, start = voiced[cue.words], at + int(VOICE_DELAY * RATE)
        if not said or start + len(words) <= end:
            _place(track, start, words, end)
    return encode(track), spoken


def text(words: str, locale: str) -> tuple[bytes, float]:
    """`words` read aloud as MP3, with its length in seconds. Needs espeak-ng."""
    samples = speech.speak(words, locale)
    return encode(samples), len(samples) / RATE
