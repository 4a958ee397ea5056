"""Pure extractors: bytes or text in, typed values out. No network, no graph, no Scrapy.

One small module per page type or field family; :func:`crawlers.extract.page.extract_page`
combines the HTML ones for a whole page (used by the spider and by ``partnergraph extract``).
"""
