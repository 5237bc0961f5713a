"""Simulated learners posting answers (locust, driven by bench_run.py and bench_faults.py).

Each simulated learner is a fresh anonymous visitor with its own session, as a browser with
JavaScript would be:

1. GET a piece page: the server sets the csrftoken cookie and the form carries its token;
2. POST /answer/ as htmx does (HX-Request, X-CSRFToken, Origin), for every question of the
   demo climb, piece by piece in a random order and step by step within a piece: each wrong
   choice first (attempts 1, 2, ...), then the right one. Every post is therefore a new
   (learner, question, attempt): a real insert;
3. when every question is right, or after any failed post (its outcome is unknown, so the
   next attempt number is too), start again as a new learner (cookies cleared).

A post is *accepted* when it answers 200 with this question's feedback fragment: that is what
the learner sees. The accepted and failed counts, per second, and every accepted
(sessionid, question, attempt) are written to $BENCH_OUT as JSON when the run stops, so the
bench can compare them with the rows in the database.

The question map ($BENCH_QUESTIONS) is written by `bench_django.py questions`.

Cookies: Django sets csrftoken and sessionid with `Secure` in production, and a
standards-following client does not send Secure cookies back over http:// (locust's cookie
jar did not send them here either: every post was refused, "CSRF cookie not set"). So each
learner keeps its cookies itself, from Set-Cookie, and sends them in a Cookie header, as a
browser would over HTTPS; every request also carries X-Forwarded-Proto: https, as the
TLS-terminating proxy adds it, so Django treats the request as secure.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task

QUESTIONS = json.loads(open(os.environ["BENCH_QUESTIONS"]).read())  # noqa: SIM115
OUT = os.environ["BENCH_OUT"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TAGS = re.compile(r"<[^>]*>")

# Client-side tally, shared by all users of this (single) locust process.
tally = {"accepted": 0, "failed": 0, "started": None, "stopped": None}
errors: Counter[str] = Counter()
# Every accepted post as (sessionid, question, attempt), for the exact lost-answer check.
accepted_keys: list[tuple[str, int, int]] = []
timeline: dict[int, list[int]] = defaultdict(lambda: [0, 0])


def _second() -> int:
    return int(time.time() - (tally["started"] or time.time()))


def _plan() -> list[tuple[int, int, int]]:
    """(question, choice, attempt) for one learner: every piece, in a random order; in each,
    the questions in step order (a step opens once the one before is answered), each wrong
    choice first, then the right one."""
    posts = []
    for page in random.sample(QUESTIONS["pages"], len(QUESTIONS["pages"])):
        for question in page["questions"]:
            wrong = [c for c in question["choices"] if c != question["correct"]]
            random.shuffle(wrong)
            for attempt, choice in enumerate([*wrong, question["correct"]], start=1):
                posts.append((question["id"], choice, attempt))
    return posts


class Learner(FastHttpUser):
    wait_time = constant(0)  # closed loop: each learner posts as fast as it gets answers
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.posts: list[tuple[int, int, int]] = []
        self.token = ""
        self.cookies: dict[str, str] = {}
        # Cookies are kept by hand (see above): the library's jar accepts none.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def headers(self, **extra: str) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"X-Forwarded-Proto": "https", **({"Cookie": cookie} if cookie else {}), **extra}

    def remember_cookies(self, response) -> None:
        values = response.headers.get_all("Set-Cookie") if response.headers is not None else None
        for header in values or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def new_learner(self) -> bool:
        self.cookies = {}  # a new visitor: no session, no CSRF cookie yet
        page = random.choice(QUESTIONS["pages"])["page"]
        with self.client.get(
            page,
            headers=self.headers(),
            name="GET piece page (new learner)",
            catch_response=True,
        ) as response:
            self.remember_cookies(response)
            match = TOKEN.search(response.text or "") if response.status_code == 200 else None
            if match is None:
                response.failure(f"no form token (status {response.status_code})")
                errors[f"GET page {response.status_code}"] += 1
                time.sleep(0.2)  # the server is down: do not spin
                return False
        self.token = match.group(1)
        self.posts = _plan()
        self.posts.reverse()  # pop() from the end
        return True

    @task
    def answer(self) -> None:
        if not self.posts and not self.new_learner():
            return
        question, choice, attempt = self.posts.pop()
        body = urlencode(
            {
                "csrfmiddlewaretoken": self.token,
                "question": question,
                "choice": choice,
                "attempt": attempt,
            }
        )
        headers = self.headers(
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "X-CSRFToken": self.token,
                "Origin": self.host.replace("http://", "https://"),
            }
        )
        with self.client.post(
            "/answer/", data=body, headers=headers, name="POST /answer/", catch_response=True
        ) as response:
            reason = self.check(response, question)
            second = _second()
            if reason is None:
                tally["accepted"] += 1
                timeline[second][0] += 1
                accepted_keys.append((self.cookies.get("sessionid", ""), question, attempt))
                response.success()
                return
            tally["failed"] += 1
            timeline[second][1] += 1
            errors[reason] += 1
            response.failure(reason)
        # Did the failed post store its answer? We cannot know: start a new learner.
        self.posts = []
        if not reason.startswith("status 4"):
            time.sleep(0.05)  # the server is failing: do not spin

    def check(self, response, question: int) -> str | None:
        """None if the post was accepted (200 with its feedback), else why not."""
        try:
            self.remember_cookies(response)
            if response.status_code == 200 and f'id="feedback-{question}"' in (response.text or ""):
                return None
            if response.status_code == 0:
                return f"connection: {type(response.error).__name__}"
            # The server's own words, so a refused post says why (out of date, bad form...).
            words = " ".join(TAGS.sub(" ", response.text or "").split())[:100]
            return f"status {response.status_code}: {words}".rstrip(": ")
        except Exception as exc:  # a response we cannot read is not an accepted answer
            return f"unreadable: {type(exc).__name__}"


@events.test_start.add_listener
def _started(**kwargs) -> None:
    tally["started"] = time.time()


def _write(**kwargs) -> None:
    if tally["stopped"] is None:
        tally["stopped"] = time.time()
    seconds = tally["stopped"] - (tally["started"] or tally["stopped"])
    with open(OUT, "w") as handle:
        json.dump(
            {
                "accepted": tally["accepted"],
                "failed": tally["failed"],
                "seconds": round(seconds, 2),
                "started": tally["started"],
                "errors": dict(errors),
                "timeline": {str(k): v for k, v in sorted(timeline.items())},
                "accepted_keys": accepted_keys,
            },
            handle,
        )


events.test_stop.add_listener(_write)
events.quitting.add_listener(_write)
