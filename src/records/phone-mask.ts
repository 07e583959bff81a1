/**
 * Phone numbers in call records: masked by default, keeping what an operator needs to tell calls apart (the
 * country code and the last four digits: `+1******0123`) and nothing that identifies the caller on its own;
 * in full only with `RECORD_PHONE_NUMBERS=full`. SIP URIs and anything else keep only their last four characters.
 */

/** How numbers are stored. */
export type PhoneNumberPolicy = 'masked' | 'full';

/** Country calling codes are 1-3 digits; these prefixes are the 1- and 2-digit ones in use (ITU-T E.164). */
const ONE_DIGIT_CODES = new Set(['1', '7']);
const TWO_DIGIT_CODES = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49', '51', '52',
  '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84', '86', '90', '91', '92',
  '93', '94', '95', '98',
]);

function countryCodeLength(digits: string): number {
  if (ONE_DIGIT_CODES.has(digits.slice(0, 1))) return 1;
  if (TWO_DIGIT_CODES.has(digits.slice(0, 2))) return 2;
  return 3;
}

/** Masks one number: `+15551230123` → `+1******0123`; empty or absent stays null. */
export function maskPhoneNumber(value: string | undefined | null): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  const e164 = /^\+(\d{7,15})$/.exec(trimmed);
  if (e164) {
    const digits = e164[1] as string;
    const code = digits.slice(0, countryCodeLength(digits));
    const hidden = digits.length - code.length - 4;
    return `+${code}${'*'.repeat(Math.max(0, hidden))}${digits.slice(-4)}`;
  }
  return `${'*'.repeat(Math.max(0, trimmed.length - 4))}${trimmed.slice(-4)}`;
}

/** Applies the policy. */
export function recordPhoneNumber(value: string | undefined | null, policy: PhoneNumberPolicy): string | null {
  if (policy === 'full') return value === undefined || value === null || value.trim() === '' ? null : value.trim();
  return maskPhoneNumber(value);
}
