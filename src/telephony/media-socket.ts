/**
 * The media socket seam: the few things the Twilio edge needs from a WebSocket. Production wraps a `ws` socket;
 * tests drive a hand-written fake.
 */
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';

/** Listener for one text frame. */
export type MessageListener = (text: string) => void;
/** Listener for the socket's end. */
export type CloseListener = (code: number, reason: string) => void;

/** A text-frame socket to Twilio. */
export interface MediaSocket {
  /** Sends one text frame; silently does nothing once the socket is closing or closed. */
  send(text: string): void;
  /**
   * Sends several text frames in order, handed to the network as one write where the socket allows it (a media
   * frame and its mark: one system call instead of two, which on loopback costs about as much as all the JSON work).
   */
  sendAll(texts: readonly string[]): void;
  close(code?: number, reason?: string): void;
  isOpen(): boolean;
  on(event: 'message', listener: MessageListener): void;
  on(event: 'close', listener: CloseListener): void;
  off(event: 'message', listener: MessageListener): void;
  off(event: 'close', listener: CloseListener): void;
}

/** Wraps a `ws` socket; Twilio only sends text frames, and binary ones are decoded as UTF-8 for the parser to judge. */
export function wrapWebSocket(socket: WebSocket): MediaSocket {
  const messageListeners = new Map<MessageListener, (data: WebSocket.RawData) => void>();
  const closeListeners = new Map<CloseListener, (code: number, reason: Buffer) => void>();
  return {
    send(text) {
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
    },
    sendAll(texts) {
      if (socket.readyState !== WebSocket.OPEN) return;
      // ws writes each frame with its own cork/uncork; an outer cork on the TCP socket joins them into one writev.
      // `_socket` is ws's underlying socket (set once the upgrade completes; absent on injected test sockets).
      const raw = (socket as unknown as { _socket?: Duplex })._socket;
      raw?.cork();
      try {
        for (const text of texts) socket.send(text);
      } finally {
        raw?.uncork();
      }
    },
    close(code, reason) {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
    },
    isOpen: () => socket.readyState === WebSocket.OPEN,
    on(event: 'message' | 'close', listener: MessageListener | CloseListener) {
      if (event === 'message') {
        const wrapped = (data: WebSocket.RawData): void => (listener as MessageListener)(rawToText(data));
        messageListeners.set(listener as MessageListener, wrapped);
        socket.on('message', wrapped);
      } else {
        const wrapped = (code: number, reason: Buffer): void => (listener as CloseListener)(code, reason.toString('utf8'));
        closeListeners.set(listener as CloseListener, wrapped);
        socket.on('close', wrapped);
      }
    },
    off(event: 'message' | 'close', listener: MessageListener | CloseListener) {
      if (event === 'message') {
        const wrapped = messageListeners.get(listener as MessageListener);
        if (wrapped) socket.off('message', wrapped);
        messageListeners.delete(listener as MessageListener);
      } else {
        const wrapped = closeListeners.get(listener as CloseListener);
        if (wrapped) socket.off('close', wrapped);
        closeListeners.delete(listener as CloseListener);
      }
    },
  };
}

function rawToText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
