/**
 * What `npm run dev` must put back on the Twilio number, kept on disk (under DATA_DIR) from just before the number is
 * changed until it has been restored. A run that dies without cleaning up (kill -9, a crash, a closed laptop) leaves
 * the file behind, and the next `npm run dev` (or `npm run dev -- --restore`) restores the number from it.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** File name of the record inside DATA_DIR. */
export const RESTORE_RECORD_FILE = 'dev-tunnel-restore.json';

const SettingsSchema = z.strictObject({
  voiceUrl: z.string(),
  voiceMethod: z.string(),
  voiceApplicationSid: z.string(),
  statusCallback: z.string(),
  statusCallbackMethod: z.string(),
});

const RecordSchema = z.strictObject({
  version: z.literal(1),
  accountSid: z.string(),
  numberSid: z.string(),
  phoneNumber: z.string(),
  /** The number's settings before the run changed them: what to restore. */
  previous: SettingsSchema,
  /** What the run set: a number that no longer has these settings was changed by someone else since. */
  tunnel: SettingsSchema,
  /** Process id of the run, to tell a crashed run from one still running. */
  pid: z.number().int(),
  /** ISO time the record was written. */
  savedAt: z.string(),
});

/** One pending restore. */
export type RestoreRecord = z.infer<typeof RecordSchema>;

/** Where the pending restore is kept: the file below, for the dev script and its tests alike. */
export interface RestoreRecordStore {
  /** Where the record lives, for messages. */
  readonly location: string;
  /** The pending record, or undefined. Throws `ConfigError` naming the file when it exists but cannot be read. */
  read(): Promise<RestoreRecord | undefined>;
  /** Writes the record durably (a temporary file renamed over the old one), so a crash never leaves half a file. */
  write(record: RestoreRecord): Promise<void>;
  /** Removes the record (the number has been restored). */
  clear(): Promise<void>;
}

/** The record as a JSON file in `dataDir`. */
export function fileRestoreRecordStore(dataDir: string): RestoreRecordStore {
  const file = path.join(dataDir, RESTORE_RECORD_FILE);
  return {
    location: file,
    async read() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new ConfigError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
      let parsed: ReturnType<typeof RecordSchema.safeParse>;
      try {
        parsed = RecordSchema.safeParse(JSON.parse(text));
      } catch (error) {
        throw new ConfigError(`${file} is not valid JSON (${(error as Error).message}); restore the number by hand and delete the file`, {
          cause: error,
        });
      }
      if (!parsed.success) {
        throw new ConfigError(`${file} is not a dev tunnel restore record; restore the number by hand and delete the file`);
      }
      return parsed.data;
    },
    async write(record) {
      await mkdir(dataDir, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(RecordSchema.parse(record), null, 2)}\n`, { flush: true });
      await rename(temporary, file);
    },
    async clear() {
      await rm(file, { force: true });
    },
  };
}
