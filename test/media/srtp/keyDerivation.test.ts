import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveSrtpSessionKeys, srtpPrf } from '../../../src/media/srtp/keyDerivation.ts';

const hex = (value: string) => Buffer.from(value.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');

describe('SRTP key derivation (RFC 3711 §4.3, kdr = 0)', () => {
  it('reproduces the RFC 3711 B.3 cipher key, salt and authentication key', () => {
    const keys = deriveSrtpSessionKeys(MASTER_KEY, MASTER_SALT);
    assert.deepEqual(keys.rtpCipherKey, hex('C61E7A93744F39EE10734AFE3FF7A087'));
    assert.deepEqual(keys.rtpCipherSalt, hex('30CBBC08863D8C85D49DB34A9AE1'));
    assert.deepEqual(keys.rtpAuthKey, hex('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4'));
  });

  it('runs the PRF past one block exactly as the B.3 authentication-key walk-through', () => {
    assert.deepEqual(
      srtpPrf(MASTER_KEY, MASTER_SALT, 0x01, 32),
      hex('CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE'),
    );
  });

  it('derives the SRTCP keys with labels 3, 4 and 5 (values as published by other implementations)', () => {
    const keys = deriveSrtpSessionKeys(MASTER_KEY, MASTER_SALT);
    assert.deepEqual(keys.rtcpCipherKey, hex('4C1AA45A81F73D61C800BBB00FBB1EAA'));
    assert.deepEqual(keys.rtcpCipherSalt, hex('9581C7AD87B3E530BF3E4454A8B3'));
    assert.equal(keys.rtcpAuthKey.length, 20);
    assert.notDeepEqual(keys.rtcpAuthKey, keys.rtpAuthKey);
  });

  it('rejects master keys and salts of the wrong size', () => {
    assert.throws(() => deriveSrtpSessionKeys(MASTER_KEY.subarray(0, 15), MASTER_SALT), RangeError);
    assert.throws(() => deriveSrtpSessionKeys(MASTER_KEY, Buffer.alloc(12)), RangeError);
  });
});
