/*
 * Climb: search, opened from any page, and its page's courtesies.
 *
 * Opening the search page (Ctrl K, Cmd K or "/": climb.js dispatches the keys and calls
 * Climb.openSearch), keeping what is typed on the way for the search page's field
 * (Climb.takeTypedForSearch, which climb.js asks before any shortcut), and reading out the
 * results as they follow the typing. Loaded after climb.js (base.html), whose window.Climb
 * this uses. An extra, like the rest: without it the search page is a plain form.
 */
(function () {
  'use strict';

  const Climb = window.Climb;
  if (!Climb) {
    return;
  }

  // What is typed between Ctrl K (or "/") and the search page's field: the page being left
  // still gets those keys, which were lost (the learner audit: "quorum" arrived as "orum"),
  // or worse, taken as shortcuts ("j" in "jitter" went to the next piece). Kept for the
  // search page, which puts them in its field (restoreTypedForSearch), within a few seconds.
  const TYPED_FOR_SEARCH = 'climb.typedForSearch';
  const TYPED_FOR_SEARCH_MS = 10000;
  let typedForSearch = null;  // a string while leaving for the search page

  Climb.openSearch = function () {
    // Already on the search page: loading it again would only lose what was typed.
    const input = document.querySelector(Climb.SEARCH_FIELD);
    if (input) {
      input.focus();
      input.select();
      return true;
    }
    const url = Climb.bodyData('searchUrl');
    if (url) {
      typedForSearch = '';
      // A page that stays (the load failed) takes its keys back.
      window.setTimeout(function () { typedForSearch = null; }, TYPED_FOR_SEARCH_MS);
      window.location.assign(url);
    }
    return Boolean(url);
  };

  function keepTypedForSearch(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.key === 'Backspace') {
      typedForSearch = typedForSearch.slice(0, -1);
    } else if (event.key.length === 1) {
      typedForSearch += event.key;
    } else {
      return;
    }
    event.preventDefault();
    try {
      const kept = { text: typedForSearch, at: Date.now() };
      sessionStorage.setItem(TYPED_FOR_SEARCH, JSON.stringify(kept));
    } catch (error) {
      // Storage refused (a private window, say): the keys are lost, as they were before.
    }
  }

  // While leaving for the search page every key is kept for it, none is a shortcut: climb.js
  // asks this first, and takes a key that comes back true as handled.
  Climb.takeTypedForSearch = function (event) {
    if (typedForSearch === null) {
      return false;
    }
    keepTypedForSearch(event);
    return true;
  };

  function restoreTypedForSearch() {
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(TYPED_FOR_SEARCH));
      sessionStorage.removeItem(TYPED_FOR_SEARCH);
    } catch (error) {
      return;
    }
    const input = document.querySelector(Climb.SEARCH_FIELD);
    // Only into a new search (not one with a query of its own), and only if fresh.
    if (!kept || !kept.text || !input || input.defaultValue ||
        !(Date.now() - kept.at < TYPED_FOR_SEARCH_MS)) {
      return;
    }
    // Keys that reached the field itself once it had focus came after the kept ones.
    input.value = kept.text + input.value;
    const end = input.value.length;
    input.focus();
    input.setSelectionRange(end, end);
    input.dispatchEvent(new Event('input', { bubbles: true }));  // htmx searches as typed
  }
  // After htmx has set the field up (its own DOMContentLoaded listener, added first), so the
  // input event below searches.
  if (document.readyState === 'complete') {
    restoreTypedForSearch();
  } else {
    document.addEventListener('DOMContentLoaded', restoreTypedForSearch, { once: true });
  }
  // Back to this page from the browser's cache, as it was left: its keys are its own again.
  window.addEventListener('pageshow', function () { typedForSearch = null; });

  // Search results follow the typing: a live region swapped in already filled is often not
  // read, so the count goes into one that stays on the page (#search-status).
  document.addEventListener('htmx:afterSettle', function (event) {
    const settled = event.target;
    const status = document.getElementById('search-status');
    if (!(settled instanceof Element) || settled.id !== 'search-results' || !status) {
      return;
    }
    const summary = settled.querySelector('.search-summary');
    status.textContent = summary ? summary.textContent.trim() : '';
  });
})();
