/**
 * RIFF/WAVE reading and writing for fixtures, call recordings and the demo: PCM16 (format 1) and G.711 mu-law
 * (format 7, 8 bits), any sample rate and channel count (samples interleaved). Not on the hot path, so both
 * directions copy; parsing is strict about the format chunk and tolerant about everything around it.
 */
import { VoiceBotError } from '../errors.js';

/** WAVE format tag for integer PCM. */
const WAVE_FORMAT_PCM = 1;
/** WAVE format tag for G.711 mu-law. */
const WAVE_FORMAT_MULAW = 7;
/** WAVE format tag whose real format sits in the first two bytes of a sub-format GUID. */
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes of the RIFF header: "RIFF", size, "WAVE". */
const RIFF_HEADER_BYTES = 12;
/** Bytes of a chunk header: id and little-endian size. */
const CHUNK_HEADER_BYTES = 8;
/** Smallest legal format chunk (WAVEFORMAT plus bits per sample). */
const FMT_MIN_BYTES = 16;

/** Decoded WAV contents: PCM16 samples or mu-law wire bytes, interleaved when there is more than one channel. */
export type WavAudio =
  | { readonly encoding: 'pcm16'; readonly sampleRateHz: number; readonly channels: number; readonly samples: Int16Array }
  | { readonly encoding: 'mulaw'; readonly sampleRateHz: number; readonly channels: number; readonly samples: Uint8Array };

/** A WAV file is malformed or uses a format this module does not handle; the message says which and where. */
export class WavFormatError extends VoiceBotError {
  constructor(message: string) {
    super('WAV_INVALID', message);
  }
}

interface FormatChunk {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample: number;
  blockAlign: number;
}

function fourCc(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}

function parseFormat(view: DataView, offset: number, size: number): FormatChunk {
  if (size < FMT_MIN_BYTES) throw new WavFormatError(`WAV fmt chunk is ${size} bytes, expected at least ${FMT_MIN_BYTES}`);
  let formatTag = view.getUint16(offset, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then the GUID whose first 2 bytes are the tag.
    if (size < 40) throw new WavFormatError(`WAV extensible fmt chunk is ${size} bytes, expected 40`);
    formatTag = view.getUint16(offset + 24, true);
  }
  return {
    formatTag,
    channels: view.getUint16(offset + 2, true),
    sampleRateHz: view.getUint32(offset + 4, true),
    blockAlign: view.getUint16(offset + 12, true),
    bitsPerSample: view.getUint16(offset + 14, true),
  };
}

function checkFormat(fmt: FormatChunk): 'pcm16' | 'mulaw' {
  if (fmt.channels < 1) throw new WavFormatError('WAV fmt chunk declares 0 channels');
  if (fmt.sampleRateHz < 1) throw new WavFormatError('WAV fmt chunk declares a sample rate of 0 Hz');
  let encoding: 'pcm16' | 'mulaw';
  if (fmt.formatTag === WAVE_FORMAT_PCM && fmt.bitsPerSample === 16) encoding = 'pcm16';
  else if (fmt.formatTag === WAVE_FORMAT_MULAW && fmt.bitsPerSample === 8) encoding = 'mulaw';
  else {
    throw new WavFormatError(
      `unsupported WAV format ${fmt.formatTag} with ${fmt.bitsPerSample} bits per sample (supported: 1 = PCM 16-bit, 7 = mu-law 8-bit)`,
    );
  }
  const expectedAlign = fmt.channels * (encoding === 'pcm16' ? 2 : 1);
  if (fmt.blockAlign !== expectedAlign) {
    throw new WavFormatError(`WAV block align is ${fmt.blockAlign}, expected ${expectedAlign} for ${fmt.channels} channel(s)`);
  }
  return encoding;
}

/**
 * Parses a RIFF/WAVE file holding PCM16 or mu-law audio; skips unknown and `LIST` chunks (with their pad byte),
 * tolerates a data chunk whose declared size runs past the end (a recording that was cut off) by keeping the
 * whole samples present, and throws `WavFormatError` naming the problem otherwise.
 */
export function readWav(bytes: Uint8Array): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < RIFF_HEADER_BYTES) throw new WavFormatError(`WAV file is ${bytes.length} bytes, too short for a RIFF header`);
  if (fourCc(view, 0) !== 'RIFF') throw new WavFormatError(`not a RIFF file: starts with "${fourCc(view, 0)}"`);
  if (fourCc(view, 8) !== 'WAVE') throw new WavFormatError(`RIFF file of type "${fourCc(view, 8)}", expected "WAVE"`);

  let fmt: FormatChunk | undefined;
  let dataOffset = -1;
  let dataSize = 0;
  let offset = RIFF_HEADER_BYTES;
  while (offset + CHUNK_HEADER_BYTES <= bytes.length) {
    const id = fourCc(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + CHUNK_HEADER_BYTES;
    if (id === 'data') {
      dataOffset = body;
      dataSize = Math.min(size, bytes.length - body);
      if (fmt !== undefined) break; // nothing after the samples matters
    } else {
      if (body + size > bytes.length) throw new WavFormatError(`WAV chunk "${id}" at byte ${offset} runs past the end of the file`);
      if (id === 'fmt ') fmt = parseFormat(view, body, size);
    }
    // Chunks are word aligned: an odd-sized chunk is followed by one pad byte.
    offset = body + size + (size & 1);
  }
  if (fmt === undefined) throw new WavFormatError('WAV file has no fmt chunk');
  if (dataOffset < 0) throw new WavFormatError('WAV file has no data chunk');
  const encoding = checkFormat(fmt);
  const frames = Math.floor(dataSize / fmt.blockAlign);
  const count = frames * fmt.channels;
  if (encoding === 'mulaw') {
    return { encoding, sampleRateHz: fmt.sampleRateHz, channels: fmt.channels, samples: bytes.slice(dataOffset, dataOffset + count) };
  }
  const samples = new Int16Array(count);
  for (let i = 0; i < count; i++) samples[i] = view.getInt16(dataOffset + 2 * i, true);
  return { encoding, sampleRateHz: fmt.sampleRateHz, channels: fmt.channels, samples };
}

/**
 * Serialises PCM16 or mu-law audio as a canonical RIFF/WAVE file: a 16-byte fmt chunk for PCM; for mu-law an
 * 18-byte fmt chunk plus the `fact` chunk that non-PCM formats carry; the data chunk padded to an even size.
 */
export function writeWav(audio: WavAudio): Uint8Array {
  const { encoding, sampleRateHz, channels, samples } = audio;
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) throw new WavFormatError(`cannot write ${channels} channels`);
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1 || sampleRateHz > 0xffffffff) {
    throw new WavFormatError(`cannot write a sample rate of ${sampleRateHz} Hz`);
  }
  if (samples.length % channels !== 0) throw new WavFormatError(`${samples.length} samples do not fill whole frames of ${channels} channels`);
  const bytesPerSample = encoding === 'pcm16' ? 2 : 1;
  const dataBytes = samples.length * bytesPerSample;
  const fmtBytes = encoding === 'pcm16' ? 16 : 18;
  const factBytes = encoding === 'pcm16' ? 0 : CHUNK_HEADER_BYTES + 4;
  const padded = dataBytes + (dataBytes & 1);
  const total = RIFF_HEADER_BYTES + CHUNK_HEADER_BYTES + fmtBytes + factBytes + CHUNK_HEADER_BYTES + padded;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < 4; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  ascii(8, 'WAVE');
  let o = RIFF_HEADER_BYTES;
  ascii(o, 'fmt ');
  view.setUint32(o + 4, fmtBytes, true);
  view.setUint16(o + 8, encoding === 'pcm16' ? WAVE_FORMAT_PCM : WAVE_FORMAT_MULAW, true);
  view.setUint16(o + 10, channels, true);
  view.setUint32(o + 12, sampleRateHz, true);
  view.setUint32(o + 16, sampleRateHz * channels * bytesPerSample, true);
  view.setUint16(o + 20, channels * bytesPerSample, true);
  view.setUint16(o + 22, bytesPerSample * 8, true);
  // cbSize (bytes 24-25) stays 0 for mu-law.
  o += CHUNK_HEADER_BYTES + fmtBytes;
  if (factBytes > 0) {
    ascii(o, 'fact');
    view.setUint32(o + 4, 4, true);
    view.setUint32(o + 8, samples.length / channels, true);
    o += factBytes;
  }
  ascii(o, 'data');
  view.setUint32(o + 4, dataBytes, true);
  o += CHUNK_HEADER_BYTES;
  if (audio.encoding === 'mulaw') out.set(audio.samples, o);
  else for (let i = 0; i < audio.samples.length; i++) view.setInt16(o + 2 * i, audio.samples[i] as number, true);
  return out;
}
