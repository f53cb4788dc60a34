import { describe, expect, it } from 'vitest'
import { oneLine, terminalSafe } from '../../src/util/control-chars.ts'
import { redact, redactPatterns, Redactor, registerSecret, withSecretScope } from '../../src/util/redact.ts'

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----'

describe('Redactor', () => {
  it('blanks a registered token with or without its scheme, and a head cut off by a length limit', () => {
    const r = new Redactor()
    r.add('00aaaabbbbccccddddeeeeffff')
    expect(r.redact('echo: 00aaaabbbbccccddddeeeeffff!')).toBe('echo: [redacted]!')
    expect(r.redact('cut at 500: 00aaaabbbbcc')).toBe('cut at 500: [redacted]')
    expect(r.redact('cut: 00aaaabbbbccccdd (request id 1)')).toBe('cut: [redacted] (request id 1)')
    expect(r.redact('short: 00aaaabbbb is not enough to say')).toBe('short: 00aaaabbbb is not enough to say')
  })

  it('two secrets sharing a prefix, the longer one cut short: nothing of it is left', () => {
    const r = new Redactor()
    const a = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4IiwianRpIjoiYWFhYSJ9.c2lnLWE'
    const b = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4IiwianRpIjoiYmJiYiJ9.c2lnLWI'
    r.add(a)
    r.add(b)
    expect(r.redact(`echo ${b.slice(0, 45)}`)).toBe('echo [redacted]')
  })

  it('blanks a PEM key whole, line by line, as one joined body, and with escaped newlines', () => {
    const r = new Redactor()
    r.add(PEM)
    expect(r.redact(`key ${PEM} end`)).toBe('key [redacted] end')
    expect(r.redact('line: BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj')).toBe('line: [redacted]')
    expect(r.redact('body MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj')).toBe('body [redacted]')
    expect(r.redact(JSON.stringify({ k: PEM }))).toBe('{"k":"[redacted]"}')
  })

  it('patterns, for secrets nobody registered: SSWS/Bearer/DPoP any case, JWTs, PEM blocks, parameters', () => {
    expect(redactPatterns('Authorization: SSWS 00abcdefghijklmnop')).toBe('Authorization: SSWS [redacted]')
    expect(redactPatterns('bearer abcdefghijklmnop and dpop ZYXWVUTSRQPONM')).toBe('bearer [redacted] and dpop [redacted]')
    expect(redactPatterns('x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl y')).toBe('x [redacted] y')
    expect(redactPatterns('a=1&client_assertion=abc.def.ghi&b=2')).toBe('a=1&client_assertion=[redacted]&b=2')
    // A PEM block without its footer (cut off) inside JSON: the document stays valid.
    const cut = JSON.stringify({ e: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B' })
    expect(JSON.parse(redactPatterns(cut))).toEqual({ e: '[redacted]' })
  })

  it('scopes: what one command registers is blanked there, not in another', async () => {
    const a = new Redactor()
    const b = new Redactor()
    await withSecretScope(a, async () => {
      await Promise.resolve()
      registerSecret('scope-a-secret-value')
    })
    expect(a.redact('scope-a-secret-value')).toBe('[redacted]')
    expect(b.redact('scope-a-secret-value')).toBe('scope-a-secret-value')
    expect(withSecretScope(a, () => redact('x scope-a-secret-value'))).toBe('x [redacted]')
  })
})

describe('control characters', () => {
  it('terminalSafe keeps newline and tab, shows everything else visibly', () => {
    expect(terminalSafe('a\x1b[2J\x07\x00\r\u009b\u202e\tb\n')).toBe('a\\u001b[2J\\u0007\\u0000\\u000d\\u009b\\u202e\tb\n')
  })
  it('oneLine escapes newline and tab too', () => {
    expect(oneLine('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd')
  })
})
