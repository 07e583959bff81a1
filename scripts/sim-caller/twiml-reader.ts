/**
 * Reads the parts of a voice webhook's TwiML the simulated caller acts on: `<Connect action>`, `<Stream url>` and its
 * `<Parameter name value>` children. A small attribute scanner is enough for the documents TwiML libraries emit and
 * keeps the caller free of an XML dependency.
 */

/** What Twilio would do with the TwiML, as far as a media stream goes. */
export interface ConnectStreamTwiml {
  /** The `<Stream url>` (a `wss://` URL) or undefined when the TwiML opens no stream (e.g. `<Say><Hangup>`). */
  readonly streamUrl: string | undefined;
  /** `<Parameter>` name → value; Twilio delivers them as `start.customParameters`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** `<Connect action>`, fetched by Twilio when our side closes the stream. */
  readonly actionUrl: string | undefined;
}

/** The inside of a tag: `>` may appear unescaped inside quoted attribute values (legal XML; the twilio library emits it). */
const TAG_BODY = `(?:[^>"']|"[^"]*"|'[^']*')*`;

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of tag.matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    out[match[1]!] = decodeEntities(match[3] ?? match[4] ?? '');
  }
  return out;
}

/** The first opening (or self-closing) tag named `name`, with its attribute text. */
function firstTag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}(?:\\s${TAG_BODY})?/?>`).exec(xml)?.[0];
}

/** Extracts the stream, its parameters and the connect action from a TwiML document. */
export function readConnectStreamTwiml(xml: string): ConnectStreamTwiml {
  const stream = firstTag(xml, 'Stream');
  const connect = firstTag(xml, 'Connect');
  const parameters: Record<string, string> = {};
  const body = new RegExp(`<Stream\\b${TAG_BODY}>([\\s\\S]*?)</Stream>`).exec(xml)?.[1] ?? '';
  for (const match of body.matchAll(new RegExp(`<Parameter\\b${TAG_BODY}/?>`, 'g'))) {
    const attrs = attributes(match[0]);
    if (attrs.name !== undefined) parameters[attrs.name] = attrs.value ?? '';
  }
  return {
    streamUrl: stream === undefined ? undefined : attributes(stream).url,
    parameters,
    actionUrl: connect === undefined ? undefined : attributes(connect).action,
  };
}
