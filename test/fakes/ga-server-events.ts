/**
 * Type-checks JSON values against the GA Realtime server event type of the `openai` package
 * (`openai/resources/realtime/realtime`, `RealtimeServerEvent`) with the TypeScript compiler API: each value becomes
 * an object literal assigned to that type in a virtual source file, so a missing required field, a wrong type or an
 * unknown field (excess property check) is a compiler diagnostic, exactly as if the fake were written against the
 * types. No test-runner imports.
 */
import path from 'node:path';
import ts from 'typescript';

/** Every GA server event type the Realtime fake (`fakes/realtime`) can send: what its fidelity tests must see and check. */
export const FAKE_SERVER_EVENT_TYPES = [
  'session.created',
  'session.updated',
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'input_audio_buffer.committed',
  'input_audio_buffer.cleared',
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.completed',
  'conversation.item.truncated',
  'conversation.item.retrieved',
  'conversation.item.deleted',
  'response.created',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_audio.delta',
  'response.output_audio_transcript.delta',
  'response.output_audio.done',
  'response.output_audio_transcript.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.done',
  'error',
] as const;

/** One value the compiler rejected, with the compiler's words. */
export interface TypeMismatch {
  readonly index: number;
  readonly type: string;
  readonly message: string;
}

const CHECK_FILE = path.resolve('test/fakes/__ga_server_events_check__.ts');

/** Returns every mismatch between `events` and `RealtimeServerEvent`; empty when all of them type-check. */
export function checkServerEvents(events: ReadonlyArray<{ readonly type: string }>): TypeMismatch[] {
  const lines = ["import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';"];
  const lineOfEvent: number[] = [];
  events.forEach((event, i) => {
    lineOfEvent.push(lines.length);
    lines.push(`export const event${i}: RealtimeServerEvent = ${JSON.stringify(event)};`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => (path.resolve(file) === CHECK_FILE ? source : readFile(file));
  host.fileExists = (file) => path.resolve(file) === CHECK_FILE || fileExists(file);
  host.getSourceFile = (file, language, onError, create) =>
    path.resolve(file) === CHECK_FILE ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, onError, create);
  const program = ts.createProgram([CHECK_FILE], options, host);
  const checkFile = program.getSourceFile(CHECK_FILE);
  const diagnostics = [...program.getSyntacticDiagnostics(checkFile), ...program.getSemanticDiagnostics(checkFile)];
  return diagnostics.map((diagnostic) => {
    const line = checkFile && diagnostic.start !== undefined ? checkFile.getLineAndCharacterOfPosition(diagnostic.start).line : -1;
    const index = lineOfEvent.indexOf(line);
    return { index, type: events[index]?.type ?? '(file)', message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') };
  });
}
