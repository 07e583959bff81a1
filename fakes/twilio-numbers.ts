/**
 * A fake of the `twilio` REST client's `incomingPhoneNumbers` with Twilio's semantics: `list({ phoneNumber })` finds
 * a number, `(sid).update(params)` changes only the parameters given, an empty string clears a field (read back as
 * null), and a number with a `voiceApplicationSid` routes its calls to that TwiML App whatever its `voiceUrl` says.
 * No test-runner imports, so `scripts/` can use it too (the first-audio measurement runs the dev tunnel on it).
 */
import type { IncomingPhoneNumberFields, IncomingPhoneNumbersClient, IncomingPhoneNumberUpdate } from '../src/dev-tunnel/phone-number-webhooks.js';

/** A number resource as Twilio stores it (null: not set). */
export type FakeNumber = { -readonly [K in keyof IncomingPhoneNumberFields]: IncomingPhoneNumberFields[K] };

/** A number with nothing configured but Twilio's default methods. */
export function fakeNumber(fields: Partial<FakeNumber> = {}): FakeNumber {
  return {
    sid: 'PN0123456789abcdef0123456789abcdef',
    phoneNumber: '+15550100123',
    voiceUrl: null,
    voiceMethod: 'POST',
    voiceApplicationSid: null,
    statusCallback: null,
    statusCallbackMethod: 'POST',
    ...fields,
  };
}

/** The fake REST client, its numbers and a log of every request in Twilio's terms. */
export class FakeTwilioNumbers implements IncomingPhoneNumbersClient {
  readonly numbers: FakeNumber[];
  /** Every request, in order; pass a shared array to interleave them with other fakes' events. */
  readonly requests: string[];
  /** Makes the nth update (1-based) fail with this message, as a Twilio 5xx would. */
  failUpdate: { readonly nth: number; readonly message: string } | undefined;
  #updates = 0;
  readonly incomingPhoneNumbers: IncomingPhoneNumbersClient['incomingPhoneNumbers'];

  constructor(numbers: FakeNumber[], requests: string[] = []) {
    this.numbers = numbers;
    this.requests = requests;
    const context = (sid: string) => ({
      update: async (params: IncomingPhoneNumberUpdate): Promise<FakeNumber> => {
        this.#updates += 1;
        this.requests.push(`update ${sid} ${describeParams(params)}`);
        if (this.failUpdate?.nth === this.#updates) throw new Error(this.failUpdate.message);
        const number = this.numbers.find((n) => n.sid === sid);
        if (!number) throw new Error(`The requested resource /IncomingPhoneNumbers/${sid}.json was not found`);
        for (const [key, value] of Object.entries(params) as [keyof IncomingPhoneNumberUpdate, string | undefined][]) {
          if (value === undefined) continue;
          number[key] = value === '' ? null : value;
        }
        return { ...number };
      },
    });
    this.incomingPhoneNumbers = Object.assign(context, {
      list: async ({ phoneNumber, limit }: { phoneNumber: string; limit: number }): Promise<FakeNumber[]> => {
        this.requests.push(`list ${phoneNumber}`);
        return this.numbers.filter((n) => n.phoneNumber === phoneNumber).slice(0, limit).map((n) => ({ ...n }));
      },
    });
  }

  /** Where a call to `phoneNumber` goes now, as Twilio decides it. */
  routeOf(phoneNumber: string): string {
    const number = this.numbers.find((n) => n.phoneNumber === phoneNumber);
    if (!number) return 'not on the account';
    if (number.voiceApplicationSid) return `app ${number.voiceApplicationSid}`;
    return number.voiceUrl ? `${number.voiceMethod ?? 'POST'} ${number.voiceUrl}` : 'nowhere';
  }
}

function describeParams(params: IncomingPhoneNumberUpdate): string {
  return [
    `voice=${params.voiceMethod} ${params.voiceUrl || '-'}`,
    `app=${params.voiceApplicationSid || '-'}`,
    `status=${params.statusCallbackMethod} ${params.statusCallback || '-'}`,
  ].join(' ');
}
