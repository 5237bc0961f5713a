"""Django's collectstatic, taking turns and leaving a folder that is already right alone.

`make serve` collects static files before gunicorn starts, and instances on one machine share
the folder. Two started together ran it at once: post-processing deletes each hashed file
before writing it again, so one run found the other's file gone and stopped `make serve`
with a FileNotFoundError. And each restart rewrote every stylesheet under the instances still
serving them: a request in that moment was a 500.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib.metadata import version

import django
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as DjangoCollectStatic,
)

from ..locking import file_lock


@contextlib.contextmanager
def collect_lock(folder: str):
    """A lock every collectstatic into `folder` waits for, on a file beside it (inside, it
    would be served as a static file). The file holds the fingerprint of the sources last
    collected whole, read and written under the lock."""
    os.makedirs(os.path.dirname(folder) or ".", exist_ok=True)
    with file_lock(f"{folder}.collected", "a+") as marker:
        yield marker


class Command(DjangoCollectStatic):
    help = (
        DjangoCollectStatic.help + " Runs into one folder take turns, and a run finds nothing "
        "to do when the sources are as they were last collected and every collected file is "
        "still there (--clear collects them again)."
    )

    def collect(self):
        # A dry run changes nothing, so it need not wait, and leaves no lock file behind.
        if self.dry_run or not self.is_local_storage() or not self.storage.location:
            return super().collect()
        with collect_lock(str(self.storage.location)) as marker:
            sources = self.sources()
            fingerprint = self.fingerprint(sources)
            marker.seek(0)
            if (
                not (self.clear or self.symlink)
                and marker.read() == fingerprint
                and self.in_place(sources)
            ):
                self.log(
                    f"Static files unchanged since they were collected to "
                    f"{self.storage.location}: nothing to do.",
                    level=1,
                )
                return {"modified": [], "unmodified": list(sources), "post_processed": []}
            # Forgotten while the folder changes: a run that stops half-way is not "collected".
            marker.truncate(0)
            marker.flush()
            collected = super().collect()
            marker.write(fingerprint)
            marker.flush()
            return collected

    def sources(self) -> dict[str, tuple]:
        """Every file collectstatic copies, by its path in the folder: the first finder's, as
        Django's collect() takes them."""
        found: dict[str, tuple] = {}
        for finder in get_finders():
            for path, storage in finder.list(self.ignore_patterns):
                prefix = getattr(storage, "prefix", None)
                found.setdefault(os.path.join(prefix, path) if prefix else path, (storage, path))
        return found

    def fingerprint(self, sources: dict[str, tuple]) -> str:
        """What the collected folder is made from: every source file's path and content, and
        what turns them into the folder (the storage, its settings, the library versions,
        links or copies: a run after a --link run replaces the links, as Django's does)."""
        digest = hashlib.sha256()
        storage = self.storage.__class__  # staticfiles_storage is a lazy proxy
        for part in (
            f"{storage.__module__}.{storage.__qualname__}",
            settings.STATIC_URL,
            django.get_version(),
            version("whitenoise"),
            str(self.post_process),
            str(self.symlink),
        ):
            digest.update(part.encode() + b"\0")
        for name in sorted(sources):
            storage, path = sources[name]
            with storage.open(path) as source:
                digest.update(name.encode() + b"\0" + hashlib.sha256(source.read()).digest())
        return digest.hexdigest()

    def in_place(self, sources: dict[str, tuple]) -> bool:
        """Every copied file, and with hashed names the manifest and each file it names,
        still in the folder (someone may have emptied it since)."""
        names = list(sources)
        manifest = getattr(self.storage, "manifest_name", None)
        if manifest:
            if not self.storage.exists(manifest):
                return False
            names += self.storage.load_manifest()[0].values()
        return all(self.storage.exists(name) for name in names)
