"""Django's own messages that show on the account pages, translated again in our catalog.

LOCALE_PATHS comes before Django's catalogs, and Django's Russian writes е where every
other line of ours writes ё ("Введенные пароли"). Nothing imports this module: the strings
are here so that makemessages keeps them in locale/ru.
"""

from django.utils.translation import gettext_noop

DJANGO_MESSAGES = (
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
)
