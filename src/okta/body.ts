import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'

/**
 * A response body's bytes as text. The client sends no `Accept-Encoding`, so Okta answers in
 * identity; a server that compresses anyway and says so (`Content-Encoding`) is decoded. A gzip
 * body WITHOUT the header (a proxy that stripped it) is named as such, instead of surfacing as
 * "invalid JSON" with a retry that cannot help.
 */
export type DecodedBody = { ok: true; text: string } | { ok: false; reason: string }

const GZIP_MAGIC = [0x1f, 0x8b] as const

/** `maxBytes` bounds the decoded size too (a small compressed body may inflate to gigabytes). */
export function decodeBody(bytes: Uint8Array, contentEncoding: string | undefined, maxBytes: number): DecodedBody {
  const limit = { maxOutputLength: maxBytes }
  const encoding = (contentEncoding ?? '').trim().toLowerCase()
  try {
    if (encoding === '' || encoding === 'identity') {
      if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
        return { ok: false, reason: 'the body is gzip-compressed but the response has no Content-Encoding header (a proxy stripped it?)' }
      }
      return { ok: true, text: utf8(bytes) }
    }
    if (encoding === 'gzip' || encoding === 'x-gzip') return { ok: true, text: utf8(gunzipSync(bytes, limit)) }
    if (encoding === 'deflate') return { ok: true, text: utf8(inflateSync(bytes, limit)) }
    if (encoding === 'br') return { ok: true, text: utf8(brotliDecompressSync(bytes, limit)) }
  } catch (err) {
    return { ok: false, reason: `the body does not decode as Content-Encoding ${encoding || 'identity'}: ${err instanceof Error ? err.message : String(err)}` }
  }
  return { ok: false, reason: `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 40))}` }
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}
