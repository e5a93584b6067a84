"""The leaderboard: submissions scored with `toolkit eval`, ranked,
and published as Markdown, JSON and a static page.
"""

from toolkit.leaderboard.build import build_leaderboard, write_leaderboard
from toolkit.leaderboard.ranking import Leaderboard, build_ranking, rank
from toolkit.leaderboard.submissions import load_submissions

__all__ = ["Leaderboard", "build_leaderboard", "build_ranking", "load_submissions", "rank", "write_leaderboard"]
