/** Sorted integer arrays: the compact form of memberships and assignments (user indices). */

/** First position whose value is > `after` (all of them when `after` is -1). */
export function upperBound(arr: ArrayLike<number>, after: number): number {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((arr[mid] as number) <= after) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function has(arr: ArrayLike<number>, value: number): boolean {
  const i = upperBound(arr, value - 1)
  return i < arr.length && arr[i] === value
}

/** A copy with `value` inserted (the same array when already there). */
export function withValue(arr: Int32Array, value: number): Int32Array {
  const i = upperBound(arr, value - 1)
  if (i < arr.length && arr[i] === value) return arr
  const out = new Int32Array(arr.length + 1)
  out.set(arr.subarray(0, i), 0)
  out[i] = value
  out.set(arr.subarray(i), i + 1)
  return out
}

/** A copy without `value` (the same array when absent). */
export function withoutValue(arr: Int32Array, value: number): Int32Array {
  const i = upperBound(arr, value - 1)
  if (i >= arr.length || arr[i] !== value) return arr
  const out = new Int32Array(arr.length - 1)
  out.set(arr.subarray(0, i), 0)
  out.set(arr.subarray(i + 1), i)
  return out
}

/** Distinct values > `after` from several sorted arrays, ascending. */
export function* mergeUnique(arrays: readonly ArrayLike<number>[], after: number): Generator<number> {
  const pos = arrays.map((a) => upperBound(a, after))
  let last = after
  for (;;) {
    let min = Infinity
    for (let k = 0; k < arrays.length; k++) {
      const a = arrays[k] as ArrayLike<number>
      let p = pos[k] as number
      while (p < a.length && (a[p] as number) <= last) p++
      pos[k] = p
      if (p < a.length && (a[p] as number) < min) min = a[p] as number
    }
    if (min === Infinity) return
    yield min
    last = min
  }
}
