// The event stream: a server-sent-events connection (EventSource) whose
// messages are JSON, with one handler per event type.  A lost connection also
// fires "error", without data: it never reaches the handler of the server's
// own "error" event; once the browser gives up on the stream, onClosed() runs.

export function followEvents(url, handlers, onClosed) {
  const es = new EventSource(url);
  for (const [type, fn] of Object.entries(handlers)) {
    es.addEventListener(type, (e) => { if (e.data) fn(JSON.parse(e.data)); });
  }
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) onClosed();
  };
  return es;
}
