// The wire contract's error and close codes (PROTOCOL.md, "Error codes").
// tests/e2e/test_contract_copy.py checks ERROR_CODES against yishi.core.types.ErrorCode.

export const ERROR_CODES = Object.freeze([
  "bad_frame",
  "bad_command",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "rate_limited",
  "too_large",
  "rejected",
  "unavailable",
]);

// Client-side outcomes that never come from the server: a command whose reply
// never arrived, or that could not be sent because the page gave up.
export const CLIENT_ERRORS = Object.freeze(["timeout", "offline"]);

export const CLOSE = Object.freeze({
  UNAUTHORIZED: 4001,
  REMOVED: 4003,
  NO_ROOM: 4004,
  TOO_SLOW: 4008,
  POLICY: 1008,
  TOO_LARGE: 1009,
  RESTARTING: 1012,
});

// Close codes after which reconnecting cannot help: the page must tell the person.
export const FATAL_CLOSES = Object.freeze([CLOSE.UNAUTHORIZED, CLOSE.REMOVED, CLOSE.NO_ROOM]);
