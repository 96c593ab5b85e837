import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BodyError, decodeForm } from '../../src/events/form-decode.ts';
import { formEncode } from '../helpers/context.ts';

describe('decodeForm (bracketed form bodies, as PHP reads them)', () => {
  test('nests bracketed keys, percent-encoded or not, every value a string', () => {
    const body = formEncode({
      event: 'ONCRMLEADUPDATE',
      data: { FIELDS: { ID: '42' } },
      auth: { member_id: 'm 1', application_token: 'a+b&c=d', scope: 'crm,imopenlines' },
    });
    assert.deepEqual(decodeForm(body), {
      event: 'ONCRMLEADUPDATE',
      data: { FIELDS: { ID: '42' } },
      auth: { member_id: 'm 1', application_token: 'a+b&c=d', scope: 'crm,imopenlines' },
    });
    assert.deepEqual(decodeForm('data[FIELDS][ID]=7&x=a+b%21'), { data: { FIELDS: { ID: '7' } }, x: 'a b!' });
  });

  test('numeric segments stay keys (a bot id of 5 is not turned into list index 0)', () => {
    const out = decodeForm('data[BOT][5][BOT_ID]=5&data[BOT][5][BOT_CODE]=disp&data[BOT][12][BOT_ID]=12');
    assert.deepEqual(out, { data: { BOT: { 5: { BOT_ID: '5', BOT_CODE: 'disp' }, 12: { BOT_ID: '12' } } } });
  });

  test('[] appends, a repeated key keeps its last value, a later nesting replaces a scalar', () => {
    assert.deepEqual(decodeForm('a[]=1&a[]=2&b=1&b=2&c=x&c[d]=y'), { a: ['1', '2'], b: '2', c: { d: 'y' } });
    assert.deepEqual(decodeForm('a[][x]=1&a[][x]=2'), { a: [{ x: '1' }, { x: '2' }] });
    assert.deepEqual(decodeForm('a[]=1&a[k]=2'), { a: { 0: '1', k: '2' } });
  });

  test('empty pairs, missing values and keys that are not bracket groups', () => {
    assert.deepEqual(decodeForm(''), {});
    assert.deepEqual(decodeForm('&&a=&b&=c'), { a: '', b: '' });
    assert.deepEqual(decodeForm('a[b=1&[x]=2&a]b[=3&c[d]e=4'), {
      'a[b': '1',
      '[x]': '2',
      'a]b[': '3',
      'c[d]e': '4',
    });
  });

  test('keys that would reach Object.prototype are dropped', () => {
    const out = decodeForm('__proto__[polluted]=1&a[constructor][prototype][p]=1&a[ok]=1');
    assert.deepEqual(out, { a: { ok: '1' } });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  test('limits and bad encoding are BodyErrors with the status to answer', () => {
    const many = Array.from({ length: 11 }, (_, i) => `k${i}=1`).join('&');
    assert.throws(
      () => decodeForm(many, { maxParams: 10, maxDepth: 4 }),
      (e: unknown) => e instanceof BodyError && e.status === 413 && /too many parameters/.test(e.message),
    );
    assert.deepEqual(
      Object.keys(decodeForm(many.split('&').slice(0, 10).join('&'), { maxParams: 10, maxDepth: 4 })).length,
      10,
    );
    assert.throws(
      () => decodeForm('a[1][2][3][4][5]=x', { maxParams: 10, maxDepth: 4 }),
      (e: unknown) => e instanceof BodyError && e.status === 400 && /deeper than 4/.test(e.message),
    );
    assert.throws(
      () => decodeForm('a=%E0%A4%A'),
      (e: unknown) => e instanceof BodyError && e.status === 400 && /percent-encoding/.test(e.message),
    );
  });
});
