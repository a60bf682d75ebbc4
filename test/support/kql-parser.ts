import { kustoErrorsIn } from './kusto-parser';
import { SCHEMAS, type KqlSchema } from './kql-schemas';

/**
 * Kusto's errors (syntax and semantics: unknown tables or columns, wrong types) for one of our queries
 * against the table set it runs on, with Microsoft's parser as test/support/kusto-parser.ts loads it.
 */
export function kqlErrors(query: string, schema: KqlSchema): string[] {
  return kustoErrorsIn(query, schema, SCHEMAS[schema]);
}
