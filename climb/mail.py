"""A mail backend for production without SMTP: say what was not sent, never what it said."""

from __future__ import annotations

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("climb.mail")


class UnsentEmailBackend(BaseEmailBackend):
    """EMAIL_BACKEND with DEBUG off and no EMAIL_HOST. Django's console backend would print
    each mail whole into the log stream, and a password-reset mail holds a live link that
    lets whoever reads the logs into the account. This logs that a mail was not sent, to
    whom and about what, and sends nothing: set EMAIL_HOST for password resets to work."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            logger.warning(
                "mail not sent (EMAIL_HOST is not set): %r to %d recipient(s)",
                message.subject,
                len(message.recipients()),
            )
        return 0
