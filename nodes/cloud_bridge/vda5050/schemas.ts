/**
 * The VDA 5050 2.0 JSON schemas, compiled once with ajv. The schema files are not written here: they
 * are the ones the npm package vda-5050-cli 2.4.0 ships (`schema/v2.0/`, by the maintainers of
 * vda-5050-lib), copied byte for byte into `schema/v2.0/` with their hashes in `schema/SOURCE.json`
 * (a unit test checks them; `npx tsx scripts/vda5050-schemas.ts --update` fetches them again).
 *
 * Why not the files of the VDA5050 repository itself: on its release/2.0.0 branch `state.schema` is not
 * valid JSON (a trailing comma), and vda-5050-lib 1.4.0 ships only compiled validators of an older copy
 * (its instantActions list is `instantActions`, where the corrected 2.0 schema says `actions`).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import common from './schema/v2.0/common.schema.json';
import header from './schema/v2.0/header.schema.json';
import order from './schema/v2.0/order.schema.json';
import instantActions from './schema/v2.0/instant-actions.schema.json';
import state from './schema/v2.0/state.schema.json';
import connection from './schema/v2.0/connection.schema.json';
import visualization from './schema/v2.0/visualization.schema.json';
import factsheet from './schema/v2.0/factsheet.schema.json';

/** The six VDA 5050 topics with a schema. */
export const VDA_TOPICS = ['order', 'instantActions', 'state', 'visualization', 'connection', 'factsheet'] as const;
export type VdaTopic = (typeof VDA_TOPICS)[number];

const SCHEMAS: Record<VdaTopic, object> = { order, instantActions, state, connection, visualization, factsheet };

/** One schema violation: where (a JSON pointer into the message) and what. */
export interface SchemaIssue {
  path: string;
  message: string;
}

let compiled: Record<VdaTopic, ValidateFunction> | undefined;

function validators(): Record<VdaTopic, ValidateFunction> {
  if (compiled) return compiled;
  // strict off: the files carry keywords of their own (documentVersion, subtopic) that ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv, ['date-time']);
  ajv.addSchema(common);
  ajv.addSchema(header);
  const out = {} as Record<VdaTopic, ValidateFunction>;
  for (const t of VDA_TOPICS) out[t] = ajv.compile(SCHEMAS[t]);
  compiled = out;
  return out;
}

function issueOf(e: ErrorObject): SchemaIssue {
  const missing =
    e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
  return { path: `${e.instancePath}${missing}` || '/', message: e.message ?? e.keyword };
}

/** The first issues (at most 5) of `obj` against the schema of `topic`; empty when it is valid. */
export function schemaIssues(topic: VdaTopic, obj: unknown): SchemaIssue[] {
  const v = validators()[topic];
  if (v(obj)) return [];
  return (v.errors ?? []).slice(0, 5).map(issueOf);
}
