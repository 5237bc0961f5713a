/*
 * Climb: the shared helpers, the keyboard shortcuts and a few htmx courtesies.
 *
 * The first of three files (base.html loads them in order, all `defer`): this one holds
 * window.Climb, the toasts, the single-key switch, the dispatch of every key (j/k/t, `?` and
 * its panel, Escape, and the keys that search.js and quiz.js act on), and what htmx swaps
 * need on every page. search.js opens search and keeps what is typed on the way; quiz.js
 * has the quiz's keys and the answer in flight. Each adds its part to window.Climb.
 *
 * Everything here is an extra: each page works fully without it (links, forms, <details>).
 * Listeners sit on `document` so that content htmx swaps in keeps working without re-binding,
 * and every lookup is guarded because most pages have only part of what this file knows about.
 * Messages come from data-* attributes on <body>, so the templates translate them.
 */
(function () {
  'use strict';

  const TOAST_MS = 2500;
  // Input types nobody types text into: letters and digits stay free for shortcuts there.
  const NON_TEXT_INPUTS = new Set([
    'button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit',
  ]);
  const SEARCH_FIELD = 'form[role="search"] input[type="search"]';
  // Enter already means something on these; the quiz must not steal it.
  const ENTER_OWNERS = 'a[href], area[href], button, input, select, textarea, summary, ' +
    'iframe, [contenteditable]:not([contenteditable="false"]), [role="button"], ' +
    '[role="link"], [role="checkbox"], [role="radio"], [role="tab"], [role="menuitem"]';

  let toastTimer = null;
  // Where focus was before `?` opened the shortcuts panel, to give it back on Esc; and where
  // the page was scrolled, for a reader whose focus was nowhere in particular.
  let focusBeforeShortcuts = null;
  let scrollBeforeShortcuts = null;

  // What search.js and quiz.js share with this file. They add to it what the keys dispatched
  // here call: openSearch and takeTypedForSearch (search.js), pickChoice and submitAnswer
  // (quiz.js).
  const Climb = window.Climb = {
    SEARCH_FIELD: SEARCH_FIELD,
    bodyData: bodyData,
    lastPointer: function () { return lastPointer; },
  };

  // One of those, called when a key is pressed (every deferred script has run by then), or
  // false, as for a key that means nothing here, if its file did not load.
  function ask(name, argument) {
    return typeof Climb[name] === 'function' && Climb[name](argument);
  }

  // Single-key shortcuts can be turned off (WCAG 2.1.4): a speech-input user saying a word
  // with a "j" in it, or a stray key, must not leave the page. Kept in this browser.
  const SINGLE_KEYS = 'climb:single-key-shortcuts';

  function singleKeysOn() {
    try {
      return window.localStorage.getItem(SINGLE_KEYS) !== 'off';
    } catch (error) {
      return true;  // storage refused (a privacy mode): the default
    }
  }

  // The switch is in the shortcuts panel, hidden without this file (nothing to switch then).
  function setUpSingleKeySwitch() {
    const box = document.getElementById('single-key-shortcuts');
    if (!box) {
      return;
    }
    box.checked = !singleKeysOff;
    const wrapper = box.closest('[hidden]');
    if (wrapper) {
      wrapper.hidden = false;
    }
    box.addEventListener('change', function () {
      try {
        window.localStorage.setItem(SINGLE_KEYS, box.checked ? 'on' : 'off');
      } catch (error) {
        // Not kept: it holds for this page only.
      }
      singleKeysOff = !box.checked;
    });
  }

  let singleKeysOff = !singleKeysOn();
  setUpSingleKeySwitch();

  function bodyData(name) {
    return (document.body && document.body.dataset[name]) || '';
  }

  // #toast is a polite live region: setting its text is what screen readers announce.
  // A passing remark ("the last piece") or a notice goes by itself; a message the reader
  // must act on (`stays`: offline, a server error, a refusal) stays until dismissed, with
  // the Dismiss button beside it (outside the live region, so it is not read as part of
  // the message) or Escape, or replaced: read at any pace, not gone while one looks away.
  let focusBeforeDismiss = null;

  function toast(message, stays, duration) {
    const box = document.getElementById('toast');
    const dismiss = document.querySelector('.toast-dismiss');
    if (!box || !message) {
      return;
    }
    window.clearTimeout(toastTimer);
    box.textContent = message;
    box.classList.add('is-visible');
    if (dismiss) {
      dismiss.hidden = !stays;
    }
    if (!stays) {
      toastTimer = window.setTimeout(hideToast, duration || TOAST_MS);
    }
  }

  // True if there was a toast to hide. Focus on the Dismiss button goes back to where the
  // reader came to it from, rather than to the page's start.
  function hideToast() {
    const box = document.getElementById('toast');
    const dismiss = document.querySelector('.toast-dismiss');
    window.clearTimeout(toastTimer);
    if (!box || !box.classList.contains('is-visible')) {
      return false;
    }
    box.classList.remove('is-visible');
    // Emptied too: the toast never lingers if its CSS is missing, and the same message
    // is announced again the next time.
    box.textContent = '';
    if (dismiss) {
      const hadFocus = document.activeElement === dismiss;
      dismiss.hidden = true;
      const back = focusBeforeDismiss;
      if (hadFocus && back instanceof HTMLElement && back.isConnected && back !== document.body) {
        back.focus();
      } else if (hadFocus) {
        document.getElementById('main')?.focus();
      }
    }
    return true;
  }

  const dismissButton = document.querySelector('.toast-dismiss');
  if (dismissButton) {
    dismissButton.addEventListener('click', hideToast);
    dismissButton.addEventListener('focus', function (event) {
      focusBeforeDismiss = event.relatedTarget;
    });
  }

  function isTextEntry(element) {
    if (!(element instanceof Element)) {
      return false;
    }
    if (element.isContentEditable || element instanceof HTMLTextAreaElement ||
        element instanceof HTMLSelectElement) {
      return true;
    }
    return element instanceof HTMLInputElement && !NON_TEXT_INPUTS.has(element.type);
  }

  function isPiecePage() {
    return document.querySelector('[data-piece-tier]') !== null;
  }

  function followRel(rel, missingMessage) {
    const link = document.querySelector('head link[rel~="' + rel + '"][href]');
    if (link) {
      window.location.assign(link.href);
      return true;
    }
    // Only a piece page has neighbours; elsewhere j and k have nothing to say.
    if (!isPiecePage()) {
      return false;
    }
    toast(bodyData(missingMessage));
    return true;
  }

  function cycleTier() {
    const steps = Array.from(document.querySelectorAll('nav.tier-bar ol > li.tier-step'));
    const current = steps.findIndex(function (li) {
      return li.querySelector('span[aria-current="page"]') !== null;
    });
    if (current < 0) {
      return false;
    }
    // The tiers above the current one first, then round again from Zero.
    for (let offset = 1; offset < steps.length; offset += 1) {
      const step = steps[(current + offset) % steps.length];
      const link = step.querySelector('a[data-tier-link][href]');
      if (link) {
        window.location.assign(link.href);
        return true;
      }
    }
    toast(bodyData('msgOneTier'));
    return true;
  }

  function openShortcuts() {
    const panel = document.querySelector('details#shortcuts');
    const summary = panel && panel.querySelector('summary');
    if (!summary) {
      return false;
    }
    const active = document.activeElement;
    if (active && active !== document.body && !panel.contains(active)) {
      focusBeforeShortcuts = active;
    }
    scrollBeforeShortcuts = window.scrollY;
    panel.open = true;
    panel.scrollIntoView({ block: 'nearest' });
    summary.focus({ preventScroll: true });
    return true;
  }

  function closeShortcuts() {
    const panel = document.querySelector('details#shortcuts');
    if (!panel || !panel.open) {
      return false;
    }
    const focusWasInside = panel.contains(document.activeElement);
    const back = focusBeforeShortcuts;
    const scrolled = scrollBeforeShortcuts;
    focusBeforeShortcuts = scrollBeforeShortcuts = null;
    panel.open = false;
    // Focus goes back only from inside the panel; a learner who has moved on stays put.
    if (focusWasInside) {
      if (back && back.isConnected) {
        back.focus();
      } else {
        // Nothing had focus (reading with the mouse, say): back to the place on the page
        // that `?` scrolled away from, rather than the foot of the page; and focus back to
        // the page, not left on the panel's <summary> down there, where Space would open
        // the panel again instead of scrolling, and Tab go on from the foot of the page.
        const main = document.getElementById('main');
        if (main) {
          main.focus({ preventScroll: true });
        } else {
          document.activeElement.blur();
        }
        if (scrolled !== null) {
          window.scrollTo(0, scrolled);
        }
      }
    }
    return true;
  }

  // Where the learner last clicked or tapped: reading with the mouse moves no focus into the
  // step being read (a click on text focuses <main>, which contains every step).
  let lastPointer = null;
  document.addEventListener('pointerdown', function (event) {
    lastPointer = event.target instanceof Element ? event.target : null;
  }, true);

  // A field the page focuses by itself (autofocus: the search page's, after Back, a reload
  // or the language switch) gets the caret at its start in Chromium, and typing would go
  // before the query. At the end, the query is there to refine, as where one left it; a
  // stray key wipes nothing, as it would if the query were selected (Ctrl K selects it, for
  // a new search). Only its first focus, and not a click, which puts the caret where it
  // clicks; Tab into a field selects its text, which this leaves alone. On a busy machine
  // Chromium may autofocus after the load event: the listener waits for that first focus.
  const autofocused = document.querySelector('input[autofocus]');
  if (isTextEntry(autofocused) && autofocused.value) {
    const caretToEnd = function () {
      // (An email field has no caret to move: selectionStart is null there.)
      if (lastPointer !== autofocused && autofocused.selectionStart === 0 &&
          autofocused.selectionEnd === 0) {
        const end = autofocused.value.length;
        autofocused.setSelectionRange(end, end);
      }
    };
    if (document.activeElement === autofocused) {
      caretToEnd();
    } else {
      autofocused.addEventListener('focus', caretToEnd, { once: true });
    }
  }

  // The key a shortcut is named by. A letter comes from the physical key when the layout
  // types a non-Latin letter there (Cyrillic, Greek...): j on a Russian keyboard types "о",
  // and Ctrl-K is Ctrl-л. A Latin layout keeps its own letters, so Dvorak's j is still j.
  // Other punctuation is taken as typed, except the key that has / and ? on a US keyboard:
  // it types "." and "," on a Russian one, where / hides on Shift-\ ("?" on Shift-7 works
  // as typed). So that key means / and ? whatever it types.
  function shortcutKey(event) {
    const key = event.key;
    if (event.code === 'Slash' && key.length === 1 && key !== '/' && key !== '?') {
      return event.shiftKey ? '?' : '/';
    }
    const letter = /^Key([A-Z])$/.exec(event.code || '');
    if (!letter || key.length !== 1 || /^[\x20-\x7e]$/.test(key)) {
      return key;
    }
    return event.shiftKey ? letter[1] : letter[1].toLowerCase();
  }

  function isSearchChord(event) {
    const key = shortcutKey(event);
    return (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey &&
      (key === 'k' || key === 'K');
  }

  // On a Mac, Ctrl K in a text field deletes to the end of the line: there only Cmd K.
  const MAC = /Mac|iPhone|iPad/.test(navigator.platform || '');

  // Ctrl K (Cmd K) from a text field: the search field selects its query, which loses
  // nothing; any other field leaves the page, so only while nothing in its form has been
  // typed (a half-filled log-in or rename would be lost, password and all).
  function searchFromField(event) {
    if (MAC ? event.ctrlKey : event.metaKey) {
      return false;
    }
    const field = event.target;
    if (field.matches(SEARCH_FIELD)) {
      return true;
    }
    const fields = field.form ? Array.from(field.form.elements) : [field];
    return fields.every(function (other) {
      return !isTextEntry(other) || other instanceof HTMLSelectElement ||
        other.isContentEditable || other.value === other.defaultValue;
    });
  }

  function handleShortcut(event) {
    const key = shortcutKey(event);
    if (key === 'Escape') {
      // Not from a field, whose own Escape (clearing it, say) comes first.
      return closeShortcuts() || (!isTextEntry(event.target) && hideToast());
    }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      return isSearchChord(event) && ask('openSearch');
    }
    // Any other Ctrl, Alt or Meta chord belongs to the browser or the system (AltGr too).
    if (event.ctrlKey || event.altKey || event.metaKey || singleKeysOff) {
      return false;
    }
    switch (key) {
      case 'j': return followRel('next', 'msgNoNext');
      case 'k': return followRel('prev', 'msgNoPrevious');
      case 't': return cycleTier();
      case '/': return ask('openSearch');
      case '?': return openShortcuts();
      case 'Enter':
        return !(event.target instanceof Element && event.target.closest(ENTER_OWNERS)) &&
          ask('submitAnswer');
      case '1': case '2': case '3': case '4': case '5':
        return ask('pickChoice', Number(key));
      default:
        return false;
    }
  }

  document.addEventListener('keydown', function (event) {
    // Someone else handled it, an input method is composing, or a key is held down.
    if (event.defaultPrevented || event.isComposing || event.repeat) {
      return;
    }
    // Leaving for the search page: the keys are kept for its field (search.js).
    if (ask('takeTypedForSearch', event)) {
      return;
    }
    // In a text field the keys are text, but for Escape and Ctrl K (Cmd K), which type
    // nothing: the search page, log-in and sign-up focus a field on load, and Ctrl K there
    // would otherwise be the browser's. Only where leaving loses nothing, though.
    if (isTextEntry(event.target) && event.key !== 'Escape' &&
        !(isSearchChord(event) && searchFromField(event))) {
      return;
    }
    if (handleShortcut(event)) {
      event.preventDefault();
    }
  });

  // A request that never got an answer (offline) or got a 5xx swaps nothing (see htmx-config
  // in base.html): say so, or the learner is left wondering whether their answer counted.
  // Nothing was recorded by a request that failed to arrive; after a 5xx, the resend is
  // safe too, because an answer is stored once per attempt.
  document.addEventListener('htmx:sendError', function () {
    toast(bodyData('msgOffline'), true);
  });
  // A message the server sends with a successful swap (HX-Trigger: {"climb:notice": ...}),
  // e.g. an answer given meanwhile in another tab.
  document.addEventListener('climb:notice', function (event) {
    const message = event.detail && event.detail.value;
    if (typeof message === 'string' && message) {
      toast(message, false, TOAST_MS * 2);
    }
  });
  document.addEventListener('htmx:responseError', function (event) {
    const xhr = event.detail && event.detail.xhr;
    const unavailable = xhr && xhr.status === 503; // the database is out of reach for now
    toast(bodyData(unavailable ? 'msgUnavailable' : 'msgServerError'), true);
  });

  // The header's "come back here" addresses (the language switch, Log in, Sign up) were
  // written for the address the page was loaded at; search and the dashboard move it on
  // with htmx (?q=..., ?sort=...). Keep them on the address the reader is at now.
  function followAddress() {
    const here = window.location.pathname + window.location.search;
    const next = document.querySelector('.language-switch input[name="next"]');
    if (next) {
      next.value = here;
    }
    document.querySelectorAll('a[data-next-link]').forEach(function (link) {
      const url = new URL(link.href, window.location.href);
      url.searchParams.set('next', here);
      link.href = url.pathname + url.search;
    });
  }
  ['htmx:pushedIntoHistory', 'htmx:replacedInHistory', 'htmx:historyRestore'].forEach(
    function (name) {
      document.addEventListener(name, followAddress);
    }
  );

  // The dashboard swapped by a sort header keeps focus on that header (htmx finds its id
  // again); by "Next page" on the last page, or "Previous page" on the first, the link is
  // gone and focus fell to <body>: put it on the members table, where the new page is.
  document.addEventListener('htmx:afterSettle', function (event) {
    const settled = event.target;
    if (!(settled instanceof Element) || settled.id !== 'dashboard') {
      return;
    }
    // Say what changed: a sort, a page or a filter announces nothing by itself.
    const status = document.getElementById('dashboard-status');
    if (status) {
      status.textContent = settled.dataset.announce || '';
    }
    const active = document.activeElement;
    if (!active || active === document.body) {
      const table = settled.querySelector('.table-scroll');
      if (table) {
        table.focus();
      }
    }
  });

  // A message from the last request (a new round started, an answer that came too late)
  // takes focus, so that it is read first. After the page's own move to an address's
  // #fragment (#step-1), which Chrome ends by dropping focus; without scrolling away from it.
  const message = document.querySelector('[data-focus-on-load]');
  if (message) {
    window.addEventListener('load', function () {
      window.setTimeout(function () {
        message.focus({ preventScroll: Boolean(window.location.hash) });
      }, 0);
    });
  }

  // A page the browser kept whole in memory (the back/forward cache) shows the progress as
  // it was when the reader left it: fetch it again. (Pages are sent no-store, so a history
  // navigation asks the server; this is for browsers that keep such pages in memory anyway.)
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  // An answer error with no question to attach to is swapped into the toast: show it.
  document.addEventListener('htmx:afterSettle', function (event) {
    const settled = event.target;
    if (settled instanceof Element && settled.id === 'toast') {
      toast(settled.textContent.trim(), true);
    }
  });
})();
