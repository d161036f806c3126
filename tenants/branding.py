"""A tenant's look: colours that keep text readable (WCAG AA), and brand images made safe.

Colours: white text sits on the brand colours (header, buttons) and the colours themselves are
used for links on white, so each must reach 4.5:1 against white. A colour that does not is
refused with the nearest shade of the same hue that does.

Images: only PNG, JPEG and WebP are taken, decoded by Pillow and encoded afresh as PNG: no
metadata (location, camera, comments), no second payload hidden behind the picture, a capped
size. SVG is refused: it is a document that can carry script.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")
WHITE = "#ffffff"
AA_NORMAL_TEXT = 4.5
MAX_UPLOAD_BYTES = 1024 * 1024
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}
MAX_SOURCE_PIXELS = 40_000_000  # beyond this Pillow refuses to decode (a decompression bomb)
SIZES = {"logo": (512, 512), "favicon": (64, 64)}


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def relative_luminance(hex_colour: str) -> float:
    r, g, b = _rgb(hex_colour)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background: str) -> str:
    """White or near-black, whichever reads better on the brand colour."""
    return max((WHITE, "#1a1a1a"), key=lambda text: contrast_ratio(background, text))


def _hex(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


def nearest_readable(colour: str) -> str:
    """The lightest shade of `colour`'s hue and saturation on which white text reaches AA: the
    closest to what was asked that passes (the colour itself when it does)."""
    colour = colour.lower()
    if contrast_ratio(colour, WHITE) >= AA_NORMAL_TEXT:
        return colour
    hue, lightness, saturation = colorsys.rgb_to_hls(*(c / 255 for c in _rgb(colour)))
    low, high = 0.0, lightness  # low always passes (black), high fails
    for _ in range(30):
        middle = (low + high) / 2
        if (
            contrast_ratio(_hex(*colorsys.hls_to_rgb(hue, middle, saturation)), WHITE)
            >= AA_NORMAL_TEXT
        ):
            low = middle
        else:
            high = middle
    shade = _hex(*colorsys.hls_to_rgb(hue, low, saturation))
    while contrast_ratio(shade, WHITE) < AA_NORMAL_TEXT:  # rounding to 8 bits may tip it
        r, g, b = _rgb(shade)
        shade = _hex(*(max(c - 1, 0) / 255 for c in (r, g, b)))
    return shade


def colour_problem(colour: str) -> str | None:
    """Why `colour` cannot be a brand colour, in words for the admin; None when it can."""
    if not HEX_COLOUR.match(colour or ""):
        return str(_l("Use the #rrggbb form, for example #1f6b45."))
    ratio = contrast_ratio(colour, WHITE)
    if ratio >= AA_NORMAL_TEXT:
        return None
    shown = f"{ratio:.2f}"
    return str(
        _l(
            "White text on %(colour)s has a contrast of %(ratio)s:1; at least 4.5:1 is needed"
            " to be readable. The nearest shade that is: %(suggestion)s.",
            colour=colour.lower(),
            ratio=shown,
            suggestion=nearest_readable(colour),
        )
    )


def brand_stylesheet(
    brand_colour: str, accent_colour: str | None = None, logo_url: str | None = None
) -> str:
    """The tenant's look as custom properties; the logo is decoration beside the tenant's name,
    which is always there as text."""
    r, g, b = _rgb(brand_colour)
    accent = accent_colour or brand_colour
    logo = f'  --pc-logo: url("{logo_url}");\n' if logo_url else ""
    return (
        ":root {\n"
        f"  --pc-brand: {brand_colour};\n"
        f"  --pc-brand-rgb: {r}, {g}, {b};\n"
        f"  --pc-on-brand: {text_colour_on(brand_colour)};\n"
        f"  --pc-accent: {accent};\n"
        f"  --pc-on-accent: {text_colour_on(accent)};\n"
        f"{logo}"
        "}\n"
    )


class ImageRefusedError(ValueError):
    """Not an image we take; the message says why, for the admin."""


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    width: int
    height: int
    digest: str
    mimetype: str = "image/png"


def _refuse_not_image(data: bytes) -> ImageRefusedError:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head:
        return ImageRefusedError(
            str(_l("SVG images are not accepted (they can contain script). Use PNG, JPEG or WebP."))
        )
    return ImageRefusedError(
        str(_l("This file is not a PNG, JPEG or WebP image. Choose another file."))
    )


def clean_image(data: bytes, kind: str) -> CleanImage:
    """`data` decoded and encoded afresh as a PNG of at most the size for `kind` (a favicon is
    made square); ImageRefusedError for anything else."""
    if len(data) > MAX_UPLOAD_BYTES:
        megabytes = f"{len(data) / 1024 / 1024:.1f}"
        raise ImageRefusedError(
            str(
                _l(
                    "This file is %(size)s MB; the most is 1 MB.",
                    size=megabytes,
                )
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS)) as probe:
                probe.verify()  # structure and checksums, before decoding pixels
            with Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS)) as image:
                if image.width * image.height > MAX_SOURCE_PIXELS:
                    raise ImageRefusedError(str(_l("This image has too many pixels.")))
                image.load()
                picture = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as exc:
        if isinstance(exc, ImageRefusedError):
            raise
        raise _refuse_not_image(data) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRefusedError(str(_l("This image has too many pixels."))) from None
    picture = picture.convert("RGBA")
    picture.thumbnail(SIZES[kind], Image.Resampling.LANCZOS)
    if kind == "favicon":
        square = Image.new("RGBA", SIZES[kind], (0, 0, 0, 0))
        square.paste(
            picture, ((square.width - picture.width) // 2, (square.height - picture.height) // 2)
        )
        picture = square
    picture.info = {}  # nothing of the original's metadata (ICC, text, EXIF) is written
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    content = out.getvalue()
    return CleanImage(
        content=content,
        width=picture.width,
        height=picture.height,
        digest=hashlib.sha256(content).hexdigest()[:16],
    )
