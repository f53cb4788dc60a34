import { describe, expect, it } from 'vitest'
import { parseTimestamp, scalarType, toJsonText, widenType } from '../../src/schema/index.ts'
import type { ColumnType } from '../../src/schema/index.ts'

describe('parseTimestamp', () => {
  it.each([
    ['2013-06-24T16:39:18.000Z', '2013-06-24T16:39:18.000Z'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2013-06-24T16:39:18Z', '2013-06-24T16:39:18.000Z'],
    ['2013-06-24T16:39Z', '2013-06-24T16:39:00.000Z'],
    ['2013-06-24T16:39:18.5Z', '2013-06-24T16:39:18.500Z'],
    ['2013-06-24T18:39:18.000+02:00', '2013-06-24T16:39:18.000Z'],
    ['2013-06-24T00:30:00-0100', '2013-06-24T01:30:00.000Z'],
    ['2013-12-31T23:30:00.250-01:00', '2014-01-01T00:30:00.250Z'],
  ])('%s → %s', (input, expected) => {
    expect(parseTimestamp(input)).toBe(expected)
  })

  it.each([
    '2013-06-24', // a date is not an instant
    '2013-06-24T16:39:18', // no zone: ambiguous
    '2023-02-29T00:00:00.000Z', // not a leap year
    '2023-02-30T00:00:00Z',
    '2023-13-01T00:00:00.000Z',
    '2023-00-01T00:00:00.000Z',
    '2023-01-01T24:00:00.000Z',
    '2023-01-01T23:60:00.000Z',
    '2023-01-01T23:59:60.000Z',
    '0000-01-01T00:00:00.000Z',
    '2023-01-01T00:00:00.000+25:00',
    '2023-01-0xT00:00:00.000Z',
    'not a dateTtime at all, ok?',
    '2023-01-01 00:00:00.000Z',
    '2013-06-24T16:39:18.123456Z', // finer than milliseconds: text keeps every digit
    '',
  ])('%j is not a timestamp', (input) => {
    expect(parseTimestamp(input)).toBeNull()
  })
})

describe('scalarType', () => {
  it.each<[unknown, ColumnType]>([
    [true, 'boolean'],
    [false, 'boolean'],
    [0, 'bigint'],
    [-42, 'bigint'],
    [Number.MAX_SAFE_INTEGER, 'bigint'],
    [-Number.MAX_SAFE_INTEGER, 'bigint'],
    [2 ** 62, 'double'], // integral but beyond 2^53: a double already
    [2 ** 64, 'double'],
    [1.5, 'double'],
    [-0.25, 'double'],
    [BigInt(Number.MAX_SAFE_INTEGER), 'bigint'],
    [BigInt(Number.MAX_SAFE_INTEGER) + 1n, 'text'], // a double column could not hold it exactly
    [2n ** 63n - 1n, 'text'],
    [-(2n ** 63n), 'text'],
    [2n ** 63n, 'text'],
    [-(2n ** 63n) - 1n, 'text'],
    ['2013-06-24T16:39:18.000Z', 'timestamp'],
    ['2013-06-24', 'text'],
    ['hello', 'text'],
    ['', 'text'],
  ])('%s → %s', (value, type) => {
    expect(scalarType(value as string)).toBe(type)
  })
})

describe('widenType (the lattice)', () => {
  const types: ColumnType[] = ['boolean', 'bigint', 'double', 'timestamp', 'text', 'json']
  it.each<[ColumnType, ColumnType, ColumnType]>([
    ['bigint', 'double', 'double'],
    ['double', 'bigint', 'double'],
    ['bigint', 'text', 'text'],
    ['double', 'text', 'text'],
    ['boolean', 'text', 'text'],
    ['timestamp', 'text', 'text'],
    ['boolean', 'bigint', 'text'],
    ['boolean', 'double', 'text'],
    ['timestamp', 'bigint', 'text'],
    ['timestamp', 'boolean', 'text'],
    ['text', 'json', 'json'],
    ['bigint', 'json', 'json'],
    ['boolean', 'json', 'json'],
    ['timestamp', 'json', 'json'],
  ])('%s ⊔ %s = %s', (a, b, expected) => {
    expect(widenType(a, b)).toBe(expected)
    expect(widenType(b, a)).toBe(expected)
  })

  it('is idempotent, commutative, and json is the top', () => {
    for (const a of types) {
      expect(widenType(a, a)).toBe(a)
      expect(widenType(a, 'json')).toBe('json')
      for (const b of types) {
        expect(widenType(a, b)).toBe(widenType(b, a))
        // associativity on the result: widening again with either input changes nothing
        const w = widenType(a, b)
        expect(widenType(w, a)).toBe(w)
        expect(widenType(w, b)).toBe(w)
      }
    }
  })
})

describe('toJsonText', () => {
  it('emits exact digits for bigint anywhere', () => {
    const big = 2n ** 70n + 1n
    expect(toJsonText(big)).toBe('1180591620717411303425')
    expect(toJsonText([1, big, { a: -big }])).toBe('[1,1180591620717411303425,{"a":-1180591620717411303425}]')
    expect(JSON.parse(toJsonText({ a: [big] }).replace(/(\d{16,})/g, '"$1"'))).toEqual({ a: ['1180591620717411303425'] })
  })

  it('is plain JSON otherwise', () => {
    expect(toJsonText({ a: 'x', b: [true, null, 1.5] })).toBe('{"a":"x","b":[true,null,1.5]}')
    expect(toJsonText('he said "hi"')).toBe('"he said \\"hi\\""')
    expect(toJsonText(undefined)).toBe('null')
  })
})
