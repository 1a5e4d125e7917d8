"""The page as it was captured, made safe to show: a web-archive style replay.

The stored body is scraped HTML: it may carry scripts, trackers, forms and links to anywhere.
It is never put into Datasette's own page. It is served on its own URL, inside a sandboxed
``<iframe>`` (no scripts, no same-origin access, no forms, no top navigation), with a Content
Security Policy that blocks every script and remote load, and with its active parts removed
here as well, so that a browser without ``sandbox`` support still runs nothing: scripts,
frames, plugins, ``<base>``, refreshes and event handler attributes are dropped, links are
disabled (the original address kept in their title) and remote images are not fetched.

May import: selectolax, the standard library.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "media-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
# The attributes the iframe gets: an empty sandbox allows nothing.
IFRAME_SANDBOX = ""
_DROP_TAGS = (
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "link",
    "meta[http-equiv]",
    "portal",
    "template",
)
_URL_ATTRIBUTES = (
    "src",
    "srcset",
    "poster",
    "data",
    "background",
    "action",
    "formaction",
    "ping",
    "xlink:href",
    "lowsrc",
    "dynsrc",
)


def decode(body: bytes, encoding: str | None) -> str:
    """The stored body as text, in the encoding the capture was read with (else UTF-8)."""
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def safe_page(html: str, original_url: str | None = None) -> str:
    """*html* with everything that could run, load or navigate removed or disabled."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for selector in _DROP_TAGS:
        for node in tree.css(selector):
            node.decompose()
    root = tree.root
    if root is not None:
        for node in root.traverse(include_text=False):
            attributes = node.attributes
            for name in list(attributes):
                lowered = name.lower()
                if (
                    lowered.startswith("on")
                    or lowered in _URL_ATTRIBUTES
                    or lowered == "style"
                    and "url(" in (attributes[name] or "").lower()
                ):
                    del node.attrs[name]
            if node.tag in ("a", "area") and "href" in attributes:
                href = attributes["href"] or ""
                del node.attrs["href"]
                node.attrs["title"] = f"link (disabled in the archive): {href}"[:500]
                node.attrs["class"] = ((attributes.get("class") or "") + " na-disabled").strip()
    banner = (
        '<meta charset="utf-8"><meta name="referrer" content="no-referrer">'
        "<style>.na-disabled{cursor:not-allowed}</style>"
    )
    body = tree.html or ""
    if "<head>" in body:
        return body.replace("<head>", "<head>" + banner, 1)
    return banner + body
