"""The extractor's rules, as data.

Ordered lists from specific to generic, so a rule is changed by editing a list rather than code.
Nothing here names a particular site: markup conventions shared by CMSs and themes only. A site
that needs more gets `body_selector` / `discard_selectors` in config.toml.

May import: nothing of scraper (rules are data).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SEPARATORS = str.maketrans("_-", "  ")
_CACHE_SIZE = 50_000
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


class ClassWords:
    """Whole words of class/id values ("related", "most-read"), matched per token.

    Tokens are split on whitespace, "_" and "-", lowercased, trailing digits dropped
    ("ad2" is "ad"); hyphenated entries match consecutive tokens. A set lookup per token is
    ten times faster than one regex alternation of a few hundred words.
    """

    def __init__(self, words: str) -> None:
        entries = [w.lower() for w in words.split("|") if w]
        self.words = frozenset(entries)
        self.heads = frozenset(e.split("-")[0] for e in entries if "-" in e)
        self.longest = max(e.count("-") + 1 for e in entries)
        # Answers per class/id value: a page repeats its few hundred class values thousands
        # of times, and so do the pages of one site. Bounded, cleared when full.
        self._found: dict[str, frozenset[str]] = {}
        self._first: dict[str, str] = {}

    def search(self, value: str) -> str | None:
        """The first listed word found in a class/id value, or None."""
        first = self._first.get(value)
        if first is None:
            first = self._search(value) or ""
            if len(self._first) >= _CACHE_SIZE:
                self._first.clear()
            self._first[value] = first
        return first or None

    def _search(self, value: str) -> str | None:
        if not value.islower():
            value = _CAMEL.sub(" ", value)
        words = self.words
        heads = self.heads
        atoms = value.lower().translate(_SEPARATORS).split()
        for index, atom in enumerate(atoms):
            atom = atom.rstrip("0123456789")
            if atom in words:
                return atom
            if atom in heads:
                for size in range(2, self.longest + 1):
                    candidate = "-".join(atoms[index : index + size])
                    if candidate in words:
                        return candidate
        return None

    def find_all(self, value: str) -> frozenset[str]:
        """Every listed word found in a class/id value (the cheap search first: most values
        hold none)."""
        found = self._found.get(value)
        if found is None:
            found = frozenset(self.iter_words(value)) if self.search(value) else frozenset()
            if len(self._found) >= _CACHE_SIZE:
                self._found.clear()
            self._found[value] = found
        return found

    def iter_words(self, value: str) -> Iterator[str]:
        if not value.islower():
            value = _CAMEL.sub(" ", value)  # "topRatedComments" -> "top Rated Comments"
        atoms = value.lower().translate(_SEPARATORS).split()
        words = self.words
        for index, atom in enumerate(atoms):
            atom = atom.rstrip("0123456789")
            if atom in words:
                yield atom
            elif atom in self.heads:
                for size in range(2, self.longest + 1):
                    candidate = "-".join(atoms[index : index + size])
                    if candidate in words:
                        yield candidate
                        break


_SCRIPT_HOOK = re.compile(r"(?:^|\s)js-\S*")


def role_words(cls: str | None, ident: str | None = None) -> str:
    """The class and id of an element as words that may name its role.

    Classes starting "js-" are hooks for scripts ("js-reply-container" on a forum's posts),
    not names of what the block is, so they are left out.
    """
    value = cls or ""
    if "js-" in value:
        value = _SCRIPT_HOOK.sub(" ", value)
    if ident:
        value += " " + ident
    return value.strip()


class Substrings:
    """Any of the words anywhere in the (lowercased) value."""

    def __init__(self, words: str) -> None:
        self.words = tuple(w.lower() for w in words.split("|") if w)
        self._found: dict[str, bool] = {}  # per class/id value, as ClassWords caches

    def search(self, value: str) -> bool:
        found = self._found.get(value)
        if found is None:
            lowered = value.lower()
            found = any(word in lowered for word in self.words)
            if len(self._found) >= _CACHE_SIZE:
                self._found.clear()
            self._found[value] = found
        return found


# Elements whose content is never article text. The first group is removed before anything
# else looks at the page (their text would distort lengths and densities); the rest are
# merely skipped when the text is rendered, which costs nothing extra.
STRIP_TAGS = ["script", "style", "template", "svg", "math", "iframe", "select", "textarea"]
SKIP_TAGS = frozenset(
    {
        *STRIP_TAGS,
        "noscript",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "map",
        "button",
        "input",
        "link",
        "meta",
        "head",
        "dialog",
        "figcaption",
    }
)
STRIP_SELECTOR = ", ".join(STRIP_TAGS)

# Layout regions that hold navigation, not text. Kept when they enclose the article container.
LAYOUT_TAGS = "nav, footer, aside, menu"

# Hidden by the page itself: candidates by selector, then the style checked in Python (one
# cheap traversal instead of four case-insensitive substring selectors). `aria-hidden` is not
# among them: it hides an element from screen readers, not from the eye (decorative copies,
# carousels' off-screen slides, a product page's price and gallery blocks), so its text is
# as visible as the page's, and removing it lost shown content on product and listing pages.
HIDDEN_SELECTOR = "[hidden], [style]"
# Folded sections: tab panels, accordions and collapsible blocks hold a page's own content
# (a product's description and specifications, a service's details, a FAQ's answers, a
# dropdown panel), hidden by the page only until a click; they stay when hidden. Whole words
# of class/id, or role="tabpanel".
FOLDED = ClassWords(
    "tab|tabs|tab-pane|tabpane|tab-panel|tabpanel|tab-content|tabcontent|accordion"
    "|accordion-content|accordion-body|accordion-panel|collapse|collapsible|expandable"
    "|expander|disclosure|panel|dropdown|details|description|specs|specifications|faq|answer"
)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# Containers that CMSs and themes use for the article body, most specific first.
BODY_SELECTORS: tuple[str, ...] = (
    '[itemprop="articleBody"]',
    '[itemprop="articlebody"]',
    ".article-body, .article__body, .articleBody, .article-body-text, .article__body-text",
    ".story-body, .story__body, .storyBody, .story-content, .story-text",
    ".entry-content, .post-content, .post-body, .post__content, .post_content, .postBody",
    ".td-post-content, .single-content, .single-post-content, .blog-post-content",
    ".article-content, .article__content, .articleContent, .article-text, .article_text",
    ".articleText, .article-main, .content-article, .article-detail, .article-container",
    ".c-entry-content, .rich-text, .body-content, .content-body, .text-content, .body-text",
    "#article-body, #articleBody, #article_body, #story-body, #storyBody, #article-content",
    ".entry, .post, .story",
    "article",
    '[role="main"], main',
    "#content, #main, .content, .main",
)
# From this rule on, BODY_SELECTORS name generic containers (a teaser card is also an
# <article>), so several matches are never merged into one body.
GENERIC_FROM = BODY_SELECTORS.index(".entry, .post, .story")

# Class/id words that mark boilerplate: teaser blocks, share widgets, comments, ads, chrome.
_NEGATIVE_WORDS = (
    "comment|comments|commentlist|disqus|respond|reply|replies"
    "|share|shares|sharing|sharer|social|socials|sociable|addthis|sharethis"
    "|related|relatedposts|recommend|recommended|recommendations|recirc|recirculation"
    "|newsletter|newsletters|subscribe|subscription|subscriptions|signup|sign-up|optin"
    "|promo|promos|promotion|promoted|sponsor|sponsored|advert|advertisement|advertising"
    "|ad|ads|adv|adsense|adslot|ad-slot|ad-container|ad-wrapper|dfp|gpt|banner"
    "|sidebar|side-bar|widget|widgets|footer|foot|breadcrumb|breadcrumbs"
    "|nav|navbar|navigation|menu|masthead|topbar|toolbar"
    "|tags|tag-list|taglist|tagcloud|tag-cloud|post-tags|entry-tags|keywords|topics"
    "|author-box|authorbox|author-bio|author-info|about-author|bio|byline|bylines"
    "|meta|post-meta|entry-meta|article-meta|metadata|dateline|timestamp"
    "|popup|modal|overlay|cookie|cookies|consent|gdpr"
    "|outbrain|taboola|zergnet|revcontent|trending|popular|most-read|mostread"
    "|most-popular|mostpopular|more-stories|read-more|readmore|read-next|readnext"
    "|up-next|next-post|prev-post|post-navigation|pagination|pager|print|skip|skip-link"
    "|rating|poll|jump|jumplink|top-stories|latest|latest-news|further-reading"
    "|also-read|see-also|more-from|more-on|next-article|previous-article"
    "|signature|copyright|disclaimer|caption|credit|credits|visually-hidden"
    "|sr-only|screen-reader-text|tooltip|alert|notification|login|account|search"
    "|toc|table-of-contents|inline-related|story-related|rail|right-rail"
    "|left-rail|aside|complementary|follow|donate|donation|shop|affiliate|card-list"
    "|newsletter-signup|email-signup|feedback|video-player|audio-player|player-wrapper|player-container|gallery-thumbs"
    "|breaking|breaking-news|ticker|news-ticker|author|authors|upsell|offer|cta"
    "|standfirst|dek|subtitle|strapline|kicker|eyebrow"
)
NEGATIVE = ClassWords(_NEGATIVE_WORDS)
# Negative words that are never layout wrappers: such a block goes even when it is bigger than
# the article (long comment threads). Other words ("sidebar", "widget", "overlay") also name
# wrappers, so those only go when they hold less than half of the article container.
ALWAYS_DISCARD = frozenset(
    [
        "comment",
        "comments",
        "commentlist",
        "disqus",
        "respond",
        "reply",
        "replies",
        "share",
        "shares",
        "sharing",
        "social",
        "related",
        "relatedposts",
        "recommend",
        "recommended",
        "recommendations",
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "promo",
        "promos",
        "sponsor",
        "sponsored",
        "advert",
        "advertisement",
        "outbrain",
        "taboola",
        "footer",
        "breadcrumb",
        "breadcrumbs",
        "cookie",
        "cookies",
        "popup",
        "modal",
    ]
)

# Thread words: comment threads are long prose too, yet never the article; a block named so
# goes whatever its size or text.
THREAD_WORDS = frozenset(
    ["comment", "comments", "commentlist", "disqus", "respond", "reply", "replies"]
)
# Regions that hold other stories or readers' posts: a body container found inside one (an
# ".entry-content" in a comment, a teaser's ".post-content") is never the article's.
ELSEWHERE_WORDS = THREAD_WORDS | frozenset(
    [
        "related",
        "relatedposts",
        "recommend",
        "recommended",
        "recommendations",
        "recirc",
        "recirculation",
        "more-stories",
        "read-next",
        "readnext",
        "up-next",
        "outbrain",
        "taboola",
        "trending",
        "most-read",
        "mostread",
        "most-popular",
        "mostpopular",
    ]
)
# A block named like boilerplate is still article text when it holds this much prose with a
# paragraph at least PROSE_PARAGRAPH long (and little linked text).
PROSE_MIN_CHARS = 500
PROSE_PARAGRAPH = 150

# Candidate weighting in density scoring (Readability's class weight): substrings, so
# "articleBody" and "postcontent" count too.
GOOD_CLASS = Substrings("article|body|content|entry|hentry|main|page|post|text|blog|story")
BAD_CLASS = Substrings(
    "comment|meta|footer|footnote|sidebar|sponsor|share|social|related|promo|banner|widget"
    "|masthead|menu|nav|teaser|popular|trending|recommend|newsletter|advert"
)

# Whole paragraphs that are page furniture in many languages (matched case-insensitively on the
# complete paragraph, never as a substring of real text).
FURNITURE_TEXT = re.compile(
    r"^\W*(?:advertisements?|adverts?|ad|sponsored|anzeige|publicidad|publicité|pubblicità|reklama"
    r"|share(?: this(?: article| story)?)?|share on \w+|tweet|print|email|copy link|copied"
    r"|read more|read next|continue reading|see also|related(?: articles?| stories| posts)?"
    r"|recommended(?: for you)?|you might also like|more from \w+|follow us|don'?t miss"
    r"|sign up|subscribe(?: now)?|log in|login|comments?|\d+ comments?|leave a reply"
    r"|skip to (?:main )?content|back to top|scroll to continue|text size|font size"
    r"|(?:first |last )?(?:published|updated|posted|publicado|atualizado|actualizado|publié"
    r"|mis à jour|veröffentlicht|aktualisiert|pubblicato|aggiornato)"
    r"\s*(?::|\b(?:on|at|le|am|el|em|il)\b)?\s*(?:\w{3,9},?\s+)?\d[\w ,:./|+-]{0,60}"
    r"|\d{1,2}[:.h]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?"
    r"|\d+\s*(?:min|mins|minutes?|hours?|hrs?|h|days?)\s+ago"
    # A live blog's header: the badge, "Updated N minutes ago", post and reader counters.
    r"|(?:live(?: updates?| now| blog| coverage)?|breaking)(?:\s*[·•|:–—-]\s*.{0,60})?"
    r"|\d+\s+(?:new\s+)?(?:posts?|updates?|entries|readers?|viewers?|watching)(?:\s+\w+){0,2}"
    r"|(?:comments?|replies)\s*\(?\d+\)?"
    r"|this (?:slideshow|video|content|feature) requires javascript\.?"
    r"|(?:like|enjoyed) this (?:story|article)\?.{0,60}"
    r"|(?:image|photo|picture|slide)\s*\d+\s*(?:of|/)\s*\d+"
    r"|(?:please )?enable javascript.{0,60}"
    r"|.{0,60}\|\s*(?:getty images|reuters|afp|ap|epa|shutterstock|bloomberg)(?:\s*\|.{0,40})?"
    r"|\[(\w+)[^\]]*\].*\[/\w+\]"
    r"|advertisement - scroll to continue|story continues below advertisement"
    r"|(?:image|photo|picture)(?: credit)?:.*|getty images|ap photo|reuters)\W*$",
    re.IGNORECASE,
)

# A short block holding a date with a time (or an ISO date) is a dateline or byline, unless
# it reads like a sentence.
DATELINE = re.compile(
    r"\b(?:19|20)\d{2}\b.*\b\d{1,2}[:h]\d{2}\b|\b\d{1,2}[:h]\d{2}\b.*\b(?:19|20)\d{2}\b"
    r"|\b(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}\b|\b\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2}\b"
)

# A short linked paragraph starting like this points at another story ("READ MORE: ...").
READ_MORE_PREFIX = re.compile(
    r"^\W*(?:read more|read also|also read|read next|see also|related|more|watch|listen"
    r"|recommended|lees ook|lire aussi|à lire aussi|leia também|leia mais|lee también"
    r"|mehr zum thema|weiterlesen|auch interessant|leggi anche)\s*[:|»>–—-]",
    re.IGNORECASE,
)

# Tags treated as paragraph-level blocks when rendering text.
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "figure",
        "figcaption",
        "address",
        "center",
        "details",
        "summary",
        "fieldset",
        "legend",
        "form",
        "hr",
        "br",
        "noscript",
        "hgroup",
        "body",
        "html",
    }
)

# Container names that keep an element even when a negative word also matches
# ("article-body has-comments"), unlike the looser POSITIVE used for scoring.
STRONG_POSITIVE = ClassWords(
    "article-body|articlebody|article-content|articlecontent|article-text|articletext"
    "|entry-content|post-content|postcontent|post-body|postbody|story-body|storybody"
    "|story-content|storycontent|main-content|maincontent|content-body|contentbody"
    "|body-text|bodytext|hentry|embed|twitter-tweet|instagram-media|tweet"
)
