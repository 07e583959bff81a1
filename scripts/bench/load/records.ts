/**
 * What the load children report back to the bench process after a rung. Times are epoch milliseconds from
 * `performance.timeOrigin + performance.now()`, which every process on this host shares to a few microseconds,
 * so a time stamped in the caller can be subtracted from one stamped in the fake.
 */

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One response as the fake streamed it. */
export interface FakeResponseRecord {
  /** Send time of each audio delta. */
  readonly deltaTimes: number[];
  /** Audio position (8 kHz samples since the response began) at the end of each delta. */
  readonly deltaEnds: number[];
  /** True when a barge-in or cancel ended it early. */
  readonly cancelled: boolean;
}

/** One Realtime session at the fake. */
export interface FakeSessionRecord {
  /** Call id read from the first append (undefined when it could not be read). */
  readonly callId: number | undefined;
  readonly format: 'pcm' | 'pcmu';
  /** Per 20 ms of appended caller audio, in order: arrival time of the append that completed it. */
  readonly appendTimes: number[];
  /**
   * Caller frame number of append 0, from the last tagged append (frame `TAG_FRAMES - 1`); above 0 when the bridge
   * dropped the call's first frames. Undefined when no tag was read.
   */
  readonly firstFrame: number | undefined;
  readonly responses: FakeResponseRecord[];
  /** Send times of the `speech_started` events that interrupt a playing response. */
  readonly bargeTimes: number[];
  /** Error events the fake sent, by code. */
  readonly errors: Record<string, number>;
}

/** One call as the simulated caller saw it. */
export interface CallerCallRecord {
  readonly callId: number;
  /** Send time of inbound frame k (frames below `TAG_FRAMES` carry the call tag). */
  readonly frameTimes: number[];
  /** Arrival time, segment index and end position (μ-law bytes since the segment began) of each outbound media. */
  readonly mediaTimes: number[];
  readonly mediaSegments: number[];
  readonly mediaEnds: number[];
  /** Segments that began because a `clear` came before their first media (the others began after a 300 ms pause). */
  readonly clearedSegments: number[];
  /** Arrival times of `clear`. */
  readonly clearTimes: number[];
  /** Set when the call could not be placed (webhook or upgrade refused). */
  readonly failure: string | undefined;
  /** True when the server closed the media socket before the caller hung up. */
  readonly closedByServer: boolean;
  /** Messages a real Twilio would reject (bad JSON, wrong streamSid, unknown event). */
  readonly violations: number;
}

/** Bench process → caller process. */
export interface CallerRunRequest {
  readonly type: 'run';
  /** Where to connect (http://127.0.0.1:PORT). */
  readonly connectBaseUrl: string;
  /** The https origin the server believes it is (signatures are computed over it). */
  readonly publicBaseUrl: string;
  readonly authToken: string;
  readonly calls: readonly { readonly callId: number; readonly startAt: number }[];
  /** Epoch ms at which every call stops sending frames. */
  readonly stopFramesAt: number;
  /** Epoch ms at which every call sends `stop` and closes. */
  readonly hangUpAt: number;
}

/** Caller process → bench process. */
export type CallerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'connected'; readonly callId: number }
  | { readonly type: 'done'; readonly calls: CallerCallRecord[] };

/** Fake process → bench process. */
export type FakeMessage =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'collected'; readonly sessions: FakeSessionRecord[] };

/** Bench process → fake process: hand over every session record and forget them. */
export interface FakeCollectRequest {
  readonly type: 'collect';
}
