import { describe, expect, it } from 'vitest';
import { canonicalForm, parseForm, splitKey } from '../src/form.js';
import { Params, applyMetadata } from '../src/params.js';
import { StripeApiError } from '../src/errors.js';

describe('the bracket form parser', () => {
  it('splits bracket keys into segments', () => {
    expect(splitKey('line_items[0][price]')).toEqual(['line_items', '0', 'price']);
    expect(splitKey('expand[]')).toEqual(['expand', '']);
    expect(splitKey('plain')).toEqual(['plain']);
  });

  it('nests objects, indexes arrays and appends with []', () => {
    const form = parseForm(
      'metadata[grant_id]=grt_1&line_items[0][price]=price_a&line_items[0][quantity]=2&line_items[1][price]=price_b&expand[]=line_items&expand[]=subscription&subscription_data[metadata][k]=v',
    );
    expect(form['metadata']).toEqual({ grant_id: 'grt_1' });
    expect(form['line_items']).toEqual([{ price: 'price_a', quantity: '2' }, { price: 'price_b' }]);
    expect(form['expand']).toEqual(['line_items', 'subscription']);
    expect(form['subscription_data']).toEqual({ metadata: { k: 'v' } });
  });

  it('decodes percent-encoding and plus signs, including encoded brackets', () => {
    const form = parseForm('customer_email=a%2Bb%40x.io&name=Jane+Doe&metadata%5Bk%5D=%7Bv%7D');
    expect(form['customer_email']).toBe('a+b@x.io');
    expect(form['name']).toBe('Jane Doe');
    expect(form['metadata']).toEqual({ k: '{v}' });
  });

  it('orders indexed arrays by index, not by arrival', () => {
    expect(parseForm('a[1]=second&a[0]=first')['a']).toEqual(['first', 'second']);
  });

  it('ignores keys that would reach the prototype', () => {
    const form = parseForm('__proto__[polluted]=1&a[__proto__][x]=1');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(form['a']).toEqual({});
  });

  it('compares requests independently of parameter order', () => {
    expect(canonicalForm(parseForm('a=1&b[c]=2'))).toBe(canonicalForm(parseForm('b[c]=2&a=1')));
    expect(canonicalForm(parseForm('a=1'))).not.toBe(canonicalForm(parseForm('a=2')));
  });
});

describe('typed params', () => {
  it('reads metadata updates: set, remove one key with an empty value, clear all', () => {
    const update = new Params(parseForm('metadata[a]=1&metadata[b]=')).metadata();
    expect(applyMetadata({ b: 'x', c: 'y' }, update)).toEqual({ a: '1', c: 'y' });
    expect(applyMetadata({ b: 'x' }, new Params(parseForm('metadata=')).metadata())).toEqual({});
  });

  it('rejects unknown and malformed params with the offending param named', () => {
    const params = new Params(parseForm('limit=abc&bogus=1'));
    expect(() => params.allowOnly(['limit'])).toThrow(StripeApiError);
    try {
      params.integer('limit');
    } catch (error) {
      expect(error).toBeInstanceOf(StripeApiError);
      expect((error as StripeApiError).toBody().error).toMatchObject({
        type: 'invalid_request_error',
        code: 'parameter_invalid_integer',
        param: 'limit',
      });
    }
    expect.assertions(3);
  });
});
