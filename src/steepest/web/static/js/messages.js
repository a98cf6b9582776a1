// What the learner reads when a request fails: a sentence that says what to do,
// not the server's one-line message ("learning_rate must be a number, got
// null").  That message stays for developers: in the API's JSON, and on the
// element as data-detail and its tooltip (title).

// The sentence for failures that are the same wherever they happen, or null:
// then the caller says what its request was for.
export function plainWords(err) {
  if (!err.status) return "The lab's server does not answer: is steepest serve still running? "
    + "Reload the page once it is.";
  if (err.status === 503) return "The lecture's network is still training; this works as soon as it is ready.";
  if (err.status === 413) return "That is more than the server takes in one request.";
  if (err.status >= 500) return "Something went wrong on the server; try again.";
  return null;
}

// `text` in element `el`; the server's own message (err.message) kept on it, out of the way.
export function say(el, text, err = null) {
  el.textContent = text;
  if (err && err.message !== text) {
    el.dataset.detail = err.message;
    el.title = `The server said: ${err.message}`;
  } else {
    delete el.dataset.detail;
    el.removeAttribute("title");
  }
}

// An error box (hidden when `text` is empty) with what to do, and the server's message kept.
export function sayError(el, text, err = null) {
  say(el, text || "", err);
  el.hidden = !text;
}
