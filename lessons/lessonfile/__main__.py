"""`python -m lessons.lessonfile PATH...`: check lesson files without a database (see `main`)."""

import sys

from .body import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
