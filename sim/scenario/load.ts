/** Reading a scenario: from plain data, YAML text or a file, validated, with errors that name the field. */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { KizunaError } from '../../nodes/core/errors';
import { problemsOf, scenarioError, zodMessage } from './errors';
import { scenarioSchema, type Scenario } from './index';

export function parseScenario(data: unknown, source = '(inline)'): Scenario {
  const r = scenarioSchema.safeParse(data, { error: zodMessage });
  if (!r.success) throw scenarioError(source, problemsOf(r.error));
  return r.data;
}

/** The validated scenario from YAML text; errors also give the line of the bad field. */
export function parseScenarioYaml(text: string, source = '(inline)'): Scenario {
  const lc = new LineCounter();
  // logLevel 'error': the yaml package would print warnings (e.g. a mapping used as a key) to stderr;
  // such a key becomes a string here, which the strict schema then reports as an unknown key.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new KizunaError(
      'KZ_ERR_SCENARIO_INVALID',
      `scenario ${source} is not valid YAML${line !== undefined ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`,
      { entity: source, ...(line !== undefined ? { line } : {}) },
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias without its anchor, or an alias bomb, is only found while building the data.
    throw new KizunaError(
      'KZ_ERR_SCENARIO_INVALID',
      `scenario ${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      { entity: source },
      { cause: err },
    );
  }
  const r = scenarioSchema.safeParse(data, { error: zodMessage });
  if (!r.success) throw scenarioError(source, problemsOf(r.error, doc, lc));
  return r.data;
}

/** Reads and validates a scenario file; a missing or unreadable file is KZ_ERR_SCENARIO_INVALID too. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(err);
    throw new KizunaError(
      'KZ_ERR_SCENARIO_INVALID',
      `cannot read scenario file ${file}: ${why}`,
      { entity: file },
      { cause: err },
    );
  }
  return parseScenarioYaml(text, file);
}
