/*
 * Climb: the quiz from the keyboard, and the answer in flight.
 *
 * The digits 1-5 pick a choice of the question being worked on and Enter sends it: climb.js
 * dispatches the keys and calls Climb.pickChoice and Climb.submitAnswer, added here. While
 * an answer is in flight its button is disabled, and the answered step's feedback takes
 * focus when it comes back. Loaded after climb.js (base.html), whose window.Climb this uses.
 * An extra, like the rest: without it the quiz's forms post and the page comes back.
 */
(function () {
  'use strict';

  const Climb = window.Climb;
  if (!Climb) {
    return;
  }

  const OPEN_QUIZ = 'form.quiz-form[data-state="open"]';
  const CHOICES = 'input[type="radio"][name="choice"]';
  // Submit buttons that had focus when they were disabled: disabling drops focus.
  const hadFocus = new WeakSet();

  function isQuizForm(element) {
    return element instanceof HTMLFormElement && element.matches('form.quiz-form');
  }

  function submitButton(form) {
    return form.querySelector('button[type="submit"], button:not([type])');
  }

  // The question being worked on: the open one in the step holding focus, else the next open
  // one after focus, else the first. A wrong answer leaves an earlier form open, and the
  // digits should not jump back up to it while the learner reads further down.
  function openQuizForm() {
    const forms = Array.from(document.querySelectorAll(OPEN_QUIZ));
    if (forms.length === 0) {
      return null;
    }
    let anchor = document.activeElement;
    // Focus that contains the forms (body, <main>) says nothing about where the learner is;
    // inside one step it does (the open question, focused by a locked step's link to it).
    const containsForms = anchor && !anchor.closest('li.step') &&
      forms.some(function (f) { return anchor.contains(f); });
    if (!anchor || anchor === document.body || containsForms) {
      const pointer = Climb.lastPointer();
      anchor = pointer && pointer.isConnected ? pointer : null;
    }
    if (!anchor) {
      return forms[0];
    }
    const step = anchor.closest('li.step');
    const own = step && step.querySelector(OPEN_QUIZ);
    const after = forms.find(function (form) {
      return anchor.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    return own || after || forms[0];
  }

  function pickChoice(number) {
    const form = openQuizForm();
    const choice = form && form.querySelectorAll(CHOICES)[number - 1];
    if (!choice || choice.disabled) {
      return false;
    }
    choice.checked = true;
    // Setting .checked fires nothing; tell anyone listening, as a click would.
    choice.dispatchEvent(new Event('change', { bubbles: true }));
    choice.focus();
    return true;
  }

  function submitAnswer() {
    const form = openQuizForm();
    const button = form && submitButton(form);
    if (!button || button.disabled || !form.querySelector(CHOICES + ':checked')) {
      return false;
    }
    // requestSubmit fires the submit event htmx listens for; form.submit() would bypass it.
    if (typeof form.requestSubmit === 'function') {
      form.requestSubmit(button);
    } else {
      button.click();
    }
    return true;
  }

  Climb.pickChoice = pickChoice;
  Climb.submitAnswer = submitAnswer;

  // While an answer is in flight its button is disabled: a double click records it once.
  document.addEventListener('htmx:beforeRequest', function (event) {
    const button = isQuizForm(event.target) && submitButton(event.target);
    if (button) {
      if (document.activeElement === button) {
        hadFocus.add(button);
      }
      button.disabled = true;
    }
  });

  // A form swapped out needs nothing back; one still here (an error came back) does.
  document.addEventListener('htmx:afterRequest', function (event) {
    const form = event.target;
    const button = isQuizForm(form) && submitButton(form);
    if (!button) {
      return;
    }
    button.disabled = false;
    // Give back the focus that disabling took, if the form is still there (after an error).
    const active = document.activeElement;
    if (hadFocus.has(button) && form.isConnected && (!active || active === document.body)) {
      button.focus();
    }
    hadFocus.delete(button);
  });

  // The answered step comes back as a new <li>: move focus to its feedback, so keyboard and
  // screen-reader users carry on from the verdict rather than from the top of the page.
  // An error lands in the quiz's aria-live slot instead, and focus stays where it is.
  // (htmx overwrites detail.elt with each element it fires on: requestConfig.elt is the form,
  // detail.target the swap target, detached now, whose id the new step reuses.)
  document.addEventListener('htmx:afterSettle', function (event) {
    const settled = event.target;
    const detail = event.detail || {};
    const source = detail.requestConfig && detail.requestConfig.elt;
    if (!(settled instanceof Element)) {
      return;
    }
    if (!settled.matches('li.step') || !isQuizForm(source)) {
      return;
    }
    // A following step unlocked out of band has another id: not where the learner is.
    const answered = detail.target instanceof Element && detail.target.id === settled.id;
    const feedback = settled.querySelector('.feedback[tabindex="-1"]');
    if (answered && feedback) {
      feedback.focus();
    }
  });
})();
