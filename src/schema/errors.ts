import { OktaEltError } from '../util/errors.ts'

/** A record the normalizer cannot place: not an object, or without its primary key. */
export class SchemaError extends OktaEltError {
  constructor(code: 'ERR_SCHEMA_PRIMARY_KEY' | 'ERR_SCHEMA_RECORD', message: string) {
    super(code, message)
  }
}
