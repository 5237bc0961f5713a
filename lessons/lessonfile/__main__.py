"""`python -m lessons.lessonfile PATH...`: the lesson-file checker, `checker.main`."""

import sys

from .checker import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
