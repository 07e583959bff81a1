/**
 * `OpenAIChatClient` (seed name) on the Chat Completions API through the `openai` package, with structured output
 * (`response_format: json_schema`, strict) validated again by zod. Bounded on purpose: an explicit model, at most
 * one retry, a whole-request deadline of 1-2 s, and the run's abort signal, because the SDK's defaults (two retries,
 * ten-minute timeout) would leave a classifier hanging for minutes against a dead host.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { AbstractChatClient, type ChatRequest } from './chat-client.js';

/** Default whole-request deadline, retries included. */
export const CHAT_TIMEOUT_MS = 1_500;
/** Retries the SDK may make inside the deadline (fast failures such as a reset connection or a 5xx). */
export const CHAT_MAX_RETRIES = 1;
/** Public endpoint, passed explicitly so the SDK never falls back to reading `OPENAI_BASE_URL` itself. */
const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The slice of the `openai` client this class uses; tests may pass a hand-written fake. */
export interface ChatCompletionsApi {
  readonly chat: {
    readonly completions: {
      create(
        body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
        options?: { signal?: AbortSignal; timeout?: number; maxRetries?: number },
      ): PromiseLike<OpenAI.Chat.ChatCompletion>;
    };
  };
}

/** Options for {@link OpenAIChatClient}. */
export interface OpenAIChatClientOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Endpoint override (a local fake in tests); defaults to OpenAI's own. */
  readonly baseURL?: string | undefined;
  /** Whole-request deadline in ms; clamped to 1-2 s. */
  readonly timeoutMs?: number;
  /** Clamped to 0-1. */
  readonly maxRetries?: number;
  readonly logger: Logger;
  /** Injected client; built from the options above when absent. */
  readonly api?: ChatCompletionsApi;
}

/** Chat Completions client answering structured questions; any failure resolves undefined and is logged. */
export class OpenAIChatClient extends AbstractChatClient {
  private readonly api: ChatCompletionsApi;
  private readonly model: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly logger: Logger;

  constructor(options: OpenAIChatClientOptions) {
    super();
    this.model = options.model;
    this.timeoutMs = Math.min(2_000, Math.max(1_000, options.timeoutMs ?? CHAT_TIMEOUT_MS));
    this.maxRetries = Math.min(1, Math.max(0, options.maxRetries ?? CHAT_MAX_RETRIES));
    this.logger = options.logger;
    this.api =
      options.api ??
      new OpenAI({
        apiKey: options.apiKey,
        baseURL: options.baseURL ?? OPENAI_DEFAULT_BASE_URL,
        timeout: this.timeoutMs,
        maxRetries: this.maxRetries,
      });
  }

  /**
   * Builds the client from the OpenAI settings (plain values, so the intent worker can pass them across a thread);
   * throws when no API key is configured (a setup error).
   */
  static fromConfig(openai: Pick<Config['openai'], 'apiKey' | 'baseUrl' | 'chatModel'>, logger: Logger): OpenAIChatClient {
    if (!openai.apiKey) throw new Error('OpenAIChatClient needs OPENAI_API_KEY');
    return new OpenAIChatClient({ apiKey: openai.apiKey, model: openai.chatModel, baseURL: openai.baseUrl, logger });
  }

  override async chat<T>(request: ChatRequest<T>): Promise<T | undefined> {
    if (request.signal.aborted) return undefined;
    const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(request.schema) as Record<string, unknown>;
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(this.timeoutMs)]);
    const started = performance.now();
    try {
      const completion = await this.api.chat.completions.create(
        {
          model: this.model,
          messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
          response_format: {
            type: 'json_schema',
            json_schema: { name: request.schemaName, schema: jsonSchema, strict: true },
          },
          temperature: 0,
        },
        { signal, timeout: this.timeoutMs, maxRetries: this.maxRetries },
      );
      const content = completion.choices[0]?.message.content;
      if (typeof content !== 'string') {
        this.logger.warn({ model: this.model, reason: 'no content' }, 'chat reply had no content; no change');
        return undefined;
      }
      let json: unknown;
      try {
        json = JSON.parse(content);
      } catch {
        this.logger.warn({ model: this.model, reason: 'invalid json' }, 'chat reply was not JSON; no change');
        return undefined;
      }
      const parsed = request.schema.safeParse(json);
      if (!parsed.success) {
        this.logger.warn(
          { model: this.model, reason: 'schema mismatch', issues: parsed.error.issues.map((issue) => issue.message) },
          'chat reply did not match the schema; no change',
        );
        return undefined;
      }
      return parsed.data;
    } catch (error) {
      if (request.signal.aborted) return undefined;
      const timedOut = signal.aborted;
      this.logger.warn(
        { model: this.model, err: error, timedOut, elapsedMs: Math.round(performance.now() - started) },
        timedOut ? 'chat request timed out; no change' : 'chat request failed; no change',
      );
      return undefined;
    }
  }
}
