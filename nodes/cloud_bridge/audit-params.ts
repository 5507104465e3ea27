/** Parameters of cloud_bridge's audit log (audit-log.ts), with units, defaults and ranges; part of params.ts. */
import { z } from 'zod';

const MIB = 1024 * 1024;

export const auditParamsShape = {
  audit_enabled: z
    .boolean()
    .default(true)
    .describe('keep the audit log of every MQTT packet sent and received (kizuna audit reads it)'),
  audit_dir: z
    .string()
    .default('')
    .describe(
      'directory of the audit log files (created 0700, files 0600); empty: beside the store, <store file without .sqlite>.audit/',
    ),
  audit_payloads: z
    .boolean()
    .default(false)
    .describe(
      'also keep each PUBLISH payload in the log (what was said, not only how much); off: sizes, topics, categories and event types only',
    ),
  audit_file_max_bytes: z
    .number()
    .int()
    .min(65536)
    .max(256 * MIB)
    .default(8 * MIB)
    .describe(
      '[bytes] an audit file is closed and the next one started at this size (kizuna audit reads a file whole)',
    ),
  audit_max_total_bytes: z
    .number()
    .int()
    .min(MIB)
    .max(1024 * 1024 * MIB)
    .default(512 * MIB)
    .describe('[bytes] the oldest audit files are deleted while all of them together are larger'),
  audit_max_age_days: z
    .number()
    .min(0)
    .max(3650)
    .default(31)
    .describe('[days] audit files whose last record is older are deleted; 0: no age limit (the size bound only)'),
};
