import { describe, expect, it } from 'vitest';
import { maskPhoneNumber, recordPhoneNumber } from '../../src/records/phone-mask.js';

describe('phone numbers in records', () => {
  it('keeps the country code and the last four digits', () => {
    expect(maskPhoneNumber('+15551230123')).toBe('+1******0123');
    expect(maskPhoneNumber('+447700900123')).toBe('+44******0123');
    expect(maskPhoneNumber('+353861234567')).toBe('+353*****4567');
  });

  it('masks SIP URIs and other text to their last four characters, and keeps nothing for an empty value', () => {
    expect(maskPhoneNumber('sip:alice@example.com')).toBe('*****************.com');
    expect(maskPhoneNumber('')).toBeNull();
    expect(maskPhoneNumber(undefined)).toBeNull();
  });

  it('stores the full number only when configured', () => {
    expect(recordPhoneNumber('+15551230123', 'full')).toBe('+15551230123');
    expect(recordPhoneNumber('+15551230123', 'masked')).toBe('+1******0123');
  });
});
