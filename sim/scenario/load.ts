/** Reading a scenario: from plain data, YAML text or a file, validated, with errors that name the field. */
import { LineCounter } from 'yaml';
import { KizunaError } from '../../nodes/core/errors';
import { printable } from '../../nodes/core/printable';
import { readTextFile } from '../../nodes/core/text-file';
import { parseYamlSafe } from '../../nodes/core/yaml-safe';
import { problemsOf, scenarioError, zodMessage } from './errors';
import { scenarioSchema, type Scenario } from './index';

export function parseScenario(data: unknown, source = '(inline)'): Scenario {
  const r = scenarioSchema.safeParse(data, { error: zodMessage });
  if (!r.success) throw scenarioError(source, problemsOf(r.error));
  return r.data;
}

/** [bytes] largest scenario file read (the shipped ones are a few kB). */
export const SCENARIO_MAX_BYTES = 4_000_000;
/** Deepest nesting of maps and lists in a scenario. */
export const SCENARIO_MAX_DEPTH = 32;

/** The validated scenario from YAML text; errors also give the line of the bad field. */
export function parseScenarioYaml(text: string, source = '(inline)'): Scenario {
  const lc = new LineCounter();
  // Duplicate keys, deep nesting and alias bombs are refused with one short printable reason.
  const parsed = parseYamlSafe(text, { maxDepth: SCENARIO_MAX_DEPTH, maxAliasCount: 100, lineCounter: lc });
  if (!parsed.ok) {
    throw new KizunaError('KZ_ERR_SCENARIO_INVALID', `scenario ${printable(source, 160)} ${parsed.why}`, {
      entity: printable(source, 160),
      ...(parsed.line !== undefined ? { line: parsed.line } : {}),
    });
  }
  const r = scenarioSchema.safeParse(parsed.data, { error: zodMessage });
  if (!r.success) throw scenarioError(source, problemsOf(r.error, parsed.doc, lc));
  return r.data;
}

/**
 * Reads and validates a scenario file (at most SCENARIO_MAX_BYTES of UTF-8 text); a missing, unreadable,
 * oversized or binary file is KZ_ERR_SCENARIO_INVALID too.
 */
export function loadScenario(file: string): Scenario {
  const r = readTextFile(file, SCENARIO_MAX_BYTES);
  if (!r.ok) {
    throw new KizunaError('KZ_ERR_SCENARIO_INVALID', `cannot read scenario file ${printable(file, 160)}: ${r.why}`, {
      entity: printable(file, 160),
    });
  }
  return parseScenarioYaml(r.text, file);
}
