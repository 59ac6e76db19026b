import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SRTP_MAX_TRAILER,
  srtpAuthTagLength,
  srtpDtlsIdFromProfile,
  srtpProfileFromDtlsId,
} from '../../../src/media/srtp/SrtpProfile.ts';

describe('SrtpProfile', () => {
  it('maps the DTLS use_srtp profile ids (RFC 5764 §4.1.2)', () => {
    assert.equal(srtpProfileFromDtlsId(0x0001), 'SRTP_AES128_CM_HMAC_SHA1_80');
    assert.equal(srtpProfileFromDtlsId(0x0002), 'SRTP_AES128_CM_HMAC_SHA1_32');
    assert.equal(srtpProfileFromDtlsId(0x0007), undefined, 'AEAD_AES_128_GCM is not supported');
    assert.equal(srtpDtlsIdFromProfile('SRTP_AES128_CM_HMAC_SHA1_32'), 0x0002);
  });

  it('knows the tag lengths and the largest trailer', () => {
    assert.equal(srtpAuthTagLength('SRTP_AES128_CM_HMAC_SHA1_80'), 10);
    assert.equal(srtpAuthTagLength('SRTP_AES128_CM_HMAC_SHA1_32'), 4);
    assert.equal(SRTP_MAX_TRAILER, 14);
  });
});
