"""The admin for authors.

A whole tier version is edited on one page: its steps (each with its question written in the
lesson-file syntax, so the admin and the files validate alike) and its sources. Questions and
their choices also have a page of their own with choice inlines. Drafts are previewed as a
learner would see them.

The package holds the forms, the mixins the pages share, the inlines, and the ModelAdmins in
`model_admins`, which registers them on the site when the admin imports this package.
"""

from . import model_admins  # noqa: F401  registers the ModelAdmins
