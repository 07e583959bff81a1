/**
 * The session settings every `session.update` carries. `RealtimeSession` spreads its `config` option into every
 * update it sends (first connect, `updateAgent`, handoffs), so putting the audio formats here makes each update a
 * full snapshot: formats, VAD and voice can never fall back to SDK defaults mid-call.
 */
import type { RealtimeSessionConfig, RealtimeAudioFormat } from '@openai/agents-realtime';
import { REALTIME_PCM16_SAMPLE_RATE_HZ, type RealtimeAudioFormatName } from '../../audio/audio-format.js';

/** `audio/pcm` is PCM16 little-endian mono at 24 000 Hz only (protocols.md). */
export const REALTIME_PCM_FORMAT: RealtimeAudioFormat = { type: 'audio/pcm', rate: REALTIME_PCM16_SAMPLE_RATE_HZ };

/** `audio/pcmu` is raw G.711 μ-law at 8 kHz (protocols.md); it carries no rate. */
export const REALTIME_PCMU_FORMAT: RealtimeAudioFormat = { type: 'audio/pcmu' };

/** The session's audio format (both ways) for a wire format name, stated explicitly instead of the SDK's default. */
export function realtimeAudioFormat(format: RealtimeAudioFormatName): RealtimeAudioFormat {
  return format === 'pcmu' ? REALTIME_PCMU_FORMAT : REALTIME_PCM_FORMAT;
}

/** Server VAD settings in the SDK's camelCase form (it converts them to the wire's snake_case). */
export interface TurnDetectionSettings {
  readonly type: 'server_vad' | 'semantic_vad';
  readonly threshold?: number;
  readonly prefixPaddingMs?: number;
  readonly silenceDurationMs?: number;
  readonly eagerness?: 'auto' | 'low' | 'medium' | 'high';
  readonly createResponse?: boolean;
  /**
   * Whether the server cancels the in-flight response by itself when speech starts. Off by default: the service
   * cancels only when the caller can actually hear the bot, and a server-side cancel racing ours would be
   * answered with a `response_cancel_not_active` error.
   */
  readonly interruptResponse?: boolean;
}

/** Phone-call VAD: server VAD, a response after each turn, barge-in left to the service. */
export const DEFAULT_TURN_DETECTION: TurnDetectionSettings = {
  type: 'server_vad',
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
  createResponse: true,
  interruptResponse: false,
};

/** Transcription model for the caller's audio (the orchestrator runs on these transcripts). */
export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

/** Inputs of the session snapshot. */
export interface SessionConfigInput {
  readonly voice: string;
  /** The wire format both ways (`audio/pcmu` or `audio/pcm` at 24 kHz). */
  readonly audioFormat: RealtimeAudioFormatName;
  readonly turnDetection?: TurnDetectionSettings | undefined;
  readonly transcriptionModel?: string | undefined;
}

/** Builds the `config` option of `RealtimeSession`: audio formats, VAD, transcription and voice, all explicit. */
export function buildSessionConfig(input: SessionConfigInput): Partial<RealtimeSessionConfig> {
  const format = realtimeAudioFormat(input.audioFormat);
  return {
    outputModalities: ['audio'],
    audio: {
      input: {
        format,
        transcription: { model: input.transcriptionModel ?? DEFAULT_TRANSCRIPTION_MODEL },
        turnDetection: { ...(input.turnDetection ?? DEFAULT_TURN_DETECTION) },
        // A handset microphone is close to the mouth.
        noiseReduction: { type: 'near_field' },
      },
      output: {
        format,
        voice: input.voice,
      },
    },
  };
}
