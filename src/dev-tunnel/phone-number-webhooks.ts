/**
 * The Twilio number seam: read and change where a phone number sends its calls. Production goes through the Twilio
 * REST client (`incomingPhoneNumbers`); tests pass a fake that records updates.
 */
import twilio from 'twilio';

/** The webhook settings of a number that the dev tunnel changes and later restores. */
export interface WebhookSettings {
  readonly voiceUrl: string;
  readonly voiceMethod: string;
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
  update(sid: string, settings: WebhookSettings): Promise<void>;
}

/** The Twilio REST implementation. */
export function twilioPhoneNumberWebhooks(accountSid: string, authToken: string): PhoneNumberWebhooks {
  const client = twilio(accountSid, authToken);
  return {
    async find(phoneNumber) {
      const [found] = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 1 });
      if (found === undefined) return undefined;
      return {
        sid: found.sid,
        phoneNumber: found.phoneNumber,
        voiceUrl: found.voiceUrl ?? '',
        voiceMethod: found.voiceMethod ?? 'POST',
        statusCallback: found.statusCallback ?? '',
        statusCallbackMethod: found.statusCallbackMethod ?? 'POST',
      };
    },
    async update(sid, settings) {
      await client.incomingPhoneNumbers(sid).update({ ...settings });
    },
  };
}
