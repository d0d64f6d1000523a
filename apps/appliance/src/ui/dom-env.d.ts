// The UI runs in the browser: its files see the DOM's types (the daemon's see Node's).
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
