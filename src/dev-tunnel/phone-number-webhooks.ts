/**
 * The Twilio number seam: read and change where a phone number sends its calls. Production goes through the Twilio
 * REST client (`incomingPhoneNumbers`); tests pass a fake REST client that behaves like Twilio's resource.
 *
 * A number routes its calls by one of: a TwiML App (`voiceApplicationSid`; while it is set Twilio ignores `voiceUrl`),
 * or `voiceUrl` with `voiceMethod` (GET or POST). The status callback and its method are separate. The dev tunnel
 * saves all five, points the number at the tunnel with the application cleared, and later writes all five back.
 */

/** The routing settings of a number that the dev tunnel changes and later restores; '' means "not set". */
export interface WebhookSettings {
  readonly voiceUrl: string;
  readonly voiceMethod: string;
  /** A TwiML App serving the number's calls (`AP…`), or ''. While set, Twilio ignores `voiceUrl` and `voiceMethod`. */
  readonly voiceApplicationSid: string;
  readonly statusCallback: string;
  readonly statusCallbackMethod: string;
}

/** A Twilio number and its current webhook settings. */
export interface PhoneNumberRecord extends WebhookSettings {
  readonly sid: string;
  readonly phoneNumber: string;
}

/** Finds a number on the account and updates its webhooks. */
export interface PhoneNumberWebhooks {
  /** The number's record, or undefined when the account has no such number. */
  find(phoneNumber: string): Promise<PhoneNumberRecord | undefined>;
  /** Writes every field of `settings`; an empty string clears that field on Twilio's side. */
  update(sid: string, settings: WebhookSettings): Promise<void>;
}

/** The fields of Twilio's IncomingPhoneNumber resource this module reads (twilio 6.x, camelCase; null when unset). */
export interface IncomingPhoneNumberFields {
  readonly sid: string;
  readonly phoneNumber: string;
  readonly voiceUrl: string | null;
  readonly voiceMethod: string | null;
  readonly voiceApplicationSid: string | null;
  readonly statusCallback: string | null;
  readonly statusCallbackMethod: string | null;
}

/** The parameters of `incomingPhoneNumbers(sid).update(...)` this module sends. */
export type IncomingPhoneNumberUpdate = WebhookSettings;

/** The part of the `twilio` REST client used here: `client.incomingPhoneNumbers`. */
export interface IncomingPhoneNumbersClient {
  readonly incomingPhoneNumbers: {
    (sid: string): { update(params: IncomingPhoneNumberUpdate): Promise<unknown> };
    list(params: { phoneNumber: string; limit: number }): Promise<readonly IncomingPhoneNumberFields[]>;
  };
}

/** The Twilio REST implementation over `client` (`twilio(accountSid, authToken)` in production). */
export function twilioPhoneNumberWebhooks(client: IncomingPhoneNumbersClient): PhoneNumberWebhooks {
  return {
    async find(phoneNumber) {
      const [found] = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 1 });
      if (found === undefined) return undefined;
      return {
        sid: found.sid,
        phoneNumber: found.phoneNumber,
        voiceUrl: found.voiceUrl ?? '',
        voiceMethod: found.voiceMethod ?? 'POST',
        voiceApplicationSid: found.voiceApplicationSid ?? '',
        statusCallback: found.statusCallback ?? '',
        statusCallbackMethod: found.statusCallbackMethod ?? 'POST',
      };
    },
    async update(sid, settings) {
      // Every field, empty ones included: '' is how Twilio's API clears a value (the application SID above all).
      await client.incomingPhoneNumbers(sid).update({
        voiceUrl: settings.voiceUrl,
        voiceMethod: settings.voiceMethod,
        voiceApplicationSid: settings.voiceApplicationSid,
        statusCallback: settings.statusCallback,
        statusCallbackMethod: settings.statusCallbackMethod,
      });
    },
  };
}
