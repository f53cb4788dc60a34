/**
 * The one loopback rule: where plain `http://` is allowed (the bundled simulator). Both the CLI's
 * config loader and the client's own validation use it, so the two never disagree.
 *
 * `localhost`, `[::1]` and all of 127.0.0.0/8 (some systems bind the simulator to 127.0.1.1).
 * `hostname` as `URL.hostname` gives it (IPv6 in brackets).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host === '[::1]') return true
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255)
}
