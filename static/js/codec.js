// Frame codecs for the two sub-protocols (PROTOCOL.md, "Transport").
// MessagePack comes from the vendored UMD bundle (static/vendor/), loaded as a
// classic deferred script before the page module; without it we speak JSON.

export const MSGPACK = "yishi.v1.msgpack";
export const JSON_PROTO = "yishi.v1.json";

const MP = globalThis.MessagePack;

export function msgpackAvailable() {
  return Boolean(MP && MP.encode && MP.decode);
}

/**
 * The sub-protocols to offer, preferred first. `prefer` is "msgpack" (the
 * default) or "json"; a page URL with ?proto=json forces JSON.
 */
export function offeredProtocols(prefer = "msgpack") {
  if (prefer === "json" || !msgpackAvailable()) return [JSON_PROTO];
  return [MSGPACK, JSON_PROTO];
}

/** The codec for the sub-protocol the server chose ("" means JSON). */
export function codecFor(protocol) {
  if (protocol === MSGPACK && msgpackAvailable()) {
    return {
      name: MSGPACK,
      encode: (obj) => MP.encode(obj),
      decode: (data) => {
        if (typeof data === "string") return JSON.parse(data);
        return MP.decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      },
    };
  }
  return {
    name: JSON_PROTO,
    encode: (obj) => JSON.stringify(obj),
    decode: (data) => {
      if (typeof data !== "string") data = new TextDecoder().decode(data);
      return JSON.parse(data);
    },
  };
}
