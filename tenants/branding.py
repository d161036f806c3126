"""A tenant's colours as CSS custom properties, with text colours that stay readable (WCAG AA)."""

from __future__ import annotations


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background: str) -> str:
    """White or near-black, whichever reads better on the brand colour."""
    return max(("#ffffff", "#1a1a1a"), key=lambda text: contrast_ratio(background, text))


def brand_stylesheet(brand_colour: str, logo_url: str | None = None) -> str:
    """The tenant's look as custom properties; the logo is decoration beside the tenant's name,
    which is always there as text."""
    r, g, b = (int(brand_colour[i : i + 2], 16) for i in (1, 3, 5))
    logo = f'  --pc-logo: url("{logo_url}");\n' if logo_url else ""
    return (
        ":root {\n"
        f"  --pc-brand: {brand_colour};\n"
        f"  --pc-brand-rgb: {r}, {g}, {b};\n"
        f"  --pc-on-brand: {text_colour_on(brand_colour)};\n"
        f"{logo}"
        "}\n"
    )
