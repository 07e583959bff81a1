/**
 * The simulated caller's seam to the server: one form POST and one WebSocket, exactly the two things Twilio does.
 * `inject-transport.ts` talks to a Fastify app in-process (`app.inject`, `app.injectWS`); `network-transport.ts`
 * talks to a live server over http(s)/ws(s), local or through ngrok.
 */

/** An HTTP answer as the caller needs it. */
export interface CallerHttpResponse {
  readonly status: number;
  readonly body: string;
}

/** The caller's end of the media WebSocket. Events that arrive before a handler is set are held, not lost. */
export interface CallerSocket {
  /** Sends one text frame. */
  send(text: string): void;
  /** Closes the socket (Twilio closes with 1000 after `stop`). */
  close(code?: number): void;
  /** Called for every frame from the server; `binary` is true for binary frames (a protocol violation on Twilio). */
  onMessage(handler: (data: string, binary: boolean) => void): void;
  /** Called once when the socket is closed, by either side. */
  onClose(handler: (code: number) => void): void;
}

/** How the caller reaches the server; URLs are the public ones Twilio would use (and sign). */
export interface CallerTransport {
  /** POSTs a form-encoded body to `url` with extra headers. */
  postForm(url: string, form: Readonly<Record<string, string>>, headers: Readonly<Record<string, string>>): Promise<CallerHttpResponse>;
  /** Opens a WebSocket to a `wss://` URL with extra upgrade headers; rejects when the server refuses the upgrade. */
  openSocket(url: string, headers: Readonly<Record<string, string>>): Promise<CallerSocket>;
}

/** Adapts an event-emitting `ws` WebSocket to `CallerSocket`, holding early events until handlers are set. */
export function wrapWebSocket(ws: {
  send(data: string): void;
  close(code?: number): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number) => void): unknown;
}): CallerSocket {
  const early: { data: string; binary: boolean }[] = [];
  let messageHandler: ((data: string, binary: boolean) => void) | undefined;
  let closeHandler: ((code: number) => void) | undefined;
  let closedWith: number | undefined;
  ws.on('message', (data, isBinary) => {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    if (messageHandler) messageHandler(text, isBinary);
    else early.push({ data: text, binary: isBinary });
  });
  ws.on('close', (code) => {
    closedWith = code;
    closeHandler?.(code);
  });
  return {
    send: (text) => ws.send(text),
    close: (code) => ws.close(code),
    onMessage(handler) {
      messageHandler = handler;
      for (const item of early.splice(0)) handler(item.data, item.binary);
    },
    onClose(handler) {
      closeHandler = handler;
      if (closedWith !== undefined) handler(closedWith);
    },
  };
}
