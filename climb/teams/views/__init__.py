"""Team pages: my teams, the dashboard and its CSV, members and invite links, joining.

One module per feature, each imported by `climb/teams/urls.py`:

- `access`: the "get it or 404" helpers (who sees what) and the refusal page;
- `teams`: my teams, creating, renaming, deleting and leaving a team;
- `dashboard`: the dashboard and a question reviewed from its "most missed" list;
- `downloads`: the dashboard's CSV files;
- `members`: the members page, roles, figures, removal, and a member's progress;
- `invites`: invite links, and joining with one.
"""
