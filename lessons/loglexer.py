"""A Pygments lexer for the logs in our lessons.

Lesson logs look like `12:00:07.412  node-b  lease L7 expired (ttl=10s) -> REJECTED`: a
timestamp, an actor, then free text with key=value pairs and a few words that decide the story
(REJECTED, expired, lost, ...). The lexer gives each of those its own token so the stylesheet
can make the line that gives the game away stand out.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

TIMESTAMP = r"(?:\d{4}-\d{2}-\d{2}[T ])?\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"
LEVEL = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|PANIC)\b"
# Words that report that something went wrong, or that a guard did its job.
BAD_WORDS = (
    r"(?i:\b(?:rejected|reject|denied|refused|expired|expire|lost|stale|fenced|failed|failure|"
    r"timeout|timed out|aborted|conflict|split[- ]brain|panic|error|mismatch|deposed|"
    r"stepping down|step down)\b)"
)
GOOD_WORDS = (
    r"(?i:\b(?:accepted|acquired|granted|elected|won|committed|renewed|ok|ready|"
    r"leader|became leader)\b)"
)


class LogLexer(RegexLexer):
    name = "Log"
    aliases = ["log"]
    filenames = ["*.log"]

    tokens = {
        "root": [
            (r"\n", Whitespace),
            # timestamp, optional level, then the actor that wrote the line
            (
                rf"^(\s*)({TIMESTAMP})(\s+)(?:({LEVEL})(\s+))?(\[?[A-Za-z][\w.\-/:]*\]?)",
                bygroups(Whitespace, Number.Integer, Whitespace, Keyword, Whitespace, Name.Class),
                "line",
            ),
            (rf"^(\s*)({TIMESTAMP})", bygroups(Whitespace, Number.Integer), "line"),
            (r"^\s*#.*$", Comment.Single),
            (r"", Text, "line"),
        ],
        "line": [
            (r"\n", Whitespace, "#pop"),
            (r"\s+", Whitespace),
            (BAD_WORDS, Generic.Error),
            (GOOD_WORDS, Generic.Inserted),
            (LEVEL, Keyword),
            (
                r"([A-Za-z_][\w.\-]*)(=)",
                bygroups(Name.Attribute, Operator),
            ),
            # A hyphenated name is one name: "k-91" and "app-1" were a word and a number.
            (r"[A-Za-z_][\w.]*(?:-[\w.]+)+", Text),
            (r'"[^"\n]*"', String.Double),
            (r"'[^'\n]*'", String.Single),
            (r"(?:->|=>|>>>|<<<|<-|!=|==|>=|<=)", Operator),
            (r"\b\d+(?:\.\d+)?(?:ms|us|µs|ns|s|m|h|KiB|MiB|GiB|KB|MB|GB|%)?\b", Number),
            (r"[()\[\]{},;:]", Punctuation),
            (r"[^\s()\[\]{},;:=<>!\"'-]+", Text),
            (r".", Text),
        ],
    }
