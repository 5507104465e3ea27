/**
 * The audit log as the bridge opens it: where (audit_dir, else beside the store), its bounds from the
 * parameters, the `start` record naming the profile and the data policy in force, and the tap that
 * feeds it. Also what the data policy removed from one message, for its `policy` record.
 */
import { dirname, basename, join } from 'node:path';
import type { RobotTopics } from '../core/contract';
import type { Params } from './params';
import type { DataPolicy } from './policy';
import { AuditLog } from './audit-log';
import { storePaths } from './config';
import { AuditTap } from './audit-tap';
import type { VdaTopics } from './vda5050/types';

/** The audit directory: `audit_dir`, else `<store file without .sqlite>.audit` beside the store. */
export function auditDirOf(p: Params, storePath: string): string {
  if (p.audit_dir) return p.audit_dir;
  // An in-memory store (tests, development) has no place beside it: the default store's place then.
  const beside = storePath === ':memory:' ? storePaths(p.fleet, p.robot_id).current : storePath;
  return join(dirname(beside), `${basename(beside).replace(/\.sqlite3?$/, '')}.audit`);
}

/** Opens the log (KZ_ERR_AUDIT_WRITE when it cannot), writes the `start` record, returns the tap; undefined when off. */
export function openAudit(
  p: Params,
  storePath: string,
  topics: RobotTopics,
  policy: DataPolicy,
  now: () => number,
  onError: (text: string) => void,
  vda?: VdaTopics,
): { log: AuditLog; tap: AuditTap } | undefined {
  if (!p.audit_enabled) return undefined;
  const log = AuditLog.open(auditDirOf(p, storePath), {
    robotId: p.robot_id,
    fleet: p.fleet,
    fileMaxBytes: p.audit_file_max_bytes,
    maxTotalBytes: p.audit_max_total_bytes,
    maxAgeMs: p.audit_max_age_days * 86_400_000,
    now,
  });
  log.append({ k: 'start', profile: p.profile, policy: { ...policy }, payloads: p.audit_payloads }, onError);
  return { log, tap: new AuditTap(log, { topics, payloads: p.audit_payloads, onError, ...(vda ? { vda } : {}) }) };
}

/** The keys of `before` that `after` no longer has (what the policy removed). */
export function removedKeys(before: object, after: object): string[] {
  const out: string[] = [];
  for (const k of Object.keys(before))
    if ((before as Record<string, unknown>)[k] !== undefined && !(k in after)) out.push(k);
  return out;
}
