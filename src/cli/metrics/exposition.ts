/**
 * Prometheus text exposition format (version 0.0.4), the few lines of it a textfile needs: gauge
 * families with HELP and TYPE, labelled samples, escaping. Written by hand rather than with
 * prom-client: a run writes each value once at its end, so a registry, collectors and
 * histograms would carry nothing here, and the format's rules for gauges fit in this file.
 */
export interface MetricFamily {
  name: string
  help: string
  type: 'gauge' | 'counter'
  samples: { labels?: Record<string, string>; value: number }[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** The families in order, each `# HELP`, `# TYPE`, then its samples; a family without samples is left out. */
export function renderExposition(families: readonly MetricFamily[]): string {
  const out: string[] = []
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`)
    if (f.samples.length === 0) continue
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) out.push(`${f.name}${renderLabels(s.labels)} ${formatValue(s.value)}`)
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`
}

function renderLabels(labels: Record<string, string> | undefined): string {
  if (labels === undefined) return ''
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries
    .map(([k, v]) => {
      if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)}`)
      return `${k}="${escapeLabelValue(v)}"`
    })
    .join(',')}}`
}

/** HELP text: backslash and line feed escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** Label values: backslash, double quote and line feed escaped. */
function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}
