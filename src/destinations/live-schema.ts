import type { ColumnDef, ColumnType, TableDef } from '../schema/types.ts'

/**
 * The destination's in-memory view of its tables: loaded from `_okta_elt_columns` at prepare and
 * kept in step with the DDL it runs. `version` is unique across the whole process and changes with
 * every applied change, so caches keyed on it (prepared statements, COPY/INSERT SQL) can never
 * serve a statement built for another shape, even after a rolled-back change.
 */
export interface LiveTable {
  readonly def: TableDef
  readonly version: number
  readonly byName: ReadonlyMap<string, ColumnDef>
}

let nextVersion = 1

export function liveTable(def: TableDef): LiveTable {
  return { def, version: nextVersion++, byName: new Map(def.columns.map((c) => [c.name, c])) }
}

/**
 * Copy-on-write changes to the live schema during one transaction: `commit()` returns the new
 * map, and a rolled-back transaction simply drops the workspace.
 */
export class SchemaWorkspace {
  readonly #tables: Map<string, LiveTable>

  constructor(committed: ReadonlyMap<string, LiveTable>) {
    this.#tables = new Map(committed)
  }

  get(name: string): LiveTable | undefined {
    return this.#tables.get(name)
  }

  createTable(def: TableDef): LiveTable {
    const t = liveTable(def)
    this.#tables.set(def.name, t)
    return t
  }

  addColumn(table: string, column: ColumnDef): LiveTable {
    const t = this.#require(table)
    const def: TableDef = { ...t.def, columns: [...t.def.columns, column] }
    return this.createTable(def)
  }

  setType(table: string, column: string, type: ColumnType): LiveTable {
    const t = this.#require(table)
    const def: TableDef = { ...t.def, columns: t.def.columns.map((c) => (c.name === column ? { ...c, type } : c)) }
    return this.createTable(def)
  }

  commit(): Map<string, LiveTable> {
    return this.#tables
  }

  #require(name: string): LiveTable {
    const t = this.#tables.get(name)
    if (t === undefined) throw new Error(`table ${name} is not in the live schema`)
    return t
  }
}
