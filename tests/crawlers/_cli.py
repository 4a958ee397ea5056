"""``python -m tests.crawlers._cli ...``: the partnergraph CLI with the crawler commands registered
(until app/cli.py lists ``crawlers.commands``)."""

from __future__ import annotations

import crawlers.commands
from app.cli import main

if "crawl" not in main.commands:
    crawlers.commands.register(main)

if __name__ == "__main__":
    main()
