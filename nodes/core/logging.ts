/**
 * Structured logs with winston: one root logger per process, one child per node (`{ node, robot }`).
 * JSON when stdout is not a terminal or when asked; a readable line otherwise.
 */
import winston from 'winston';
import { KizunaError } from './errors';

export type Logger = winston.Logger;

/** Levels, most to least severe; ROS 2's names map onto them (fatal→error, warn→warn, info, debug). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Minimum level. Default `info`. ROS 2 names (`fatal`, `warning`, `DEBUG`...) are accepted. */
  level?: string;
  /** Force JSON (true) or readable (false) output. Default: JSON unless stdout is a TTY. */
  json?: boolean;
  /** Where lines go. Default: the console (stderr for every level, keeping stdout for CLI output). */
  stream?: NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ robot: 'r1' }`. */
  defaultMeta?: Record<string, unknown>;
}

/** The winston level for a ROS 2 or winston level name. Throws KZ_ERR_CLI_USAGE for an unknown one. */
export function normalizeLevel(level: string): LogLevel {
  const l = level.toLowerCase();
  if (l === 'fatal') return 'error';
  if (l === 'warning') return 'warn';
  if ((LOG_LEVELS as readonly string[]).includes(l)) return l as LogLevel;
  throw new KizunaError(
    'KZ_ERR_CLI_USAGE',
    `unknown log level '${level}' (use ${LOG_LEVELS.join(', ')} or fatal, warning)`,
  );
}

const readable = winston.format.printf((info) => {
  const { level, message, timestamp, node, robot, ...rest } = info as Record<string, unknown>;
  const who = [robot, node].filter(Boolean).join('/');
  const extra = Object.keys(rest).filter((k) => typeof k === 'string' && k !== 'splat');
  const tail = extra.length > 0 ? ` ${JSON.stringify(Object.fromEntries(extra.map((k) => [k, rest[k]])))}` : '';
  return `${String(timestamp)} ${String(level).toUpperCase().padEnd(5)} [${who || 'kizuna'}] ${String(message)}${tail}`;
});

/** A root logger. Nodes get children of it via {@link childLogger}. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const json = options.json ?? !process.stdout.isTTY;
  const format = json
    ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json())
    : winston.format.combine(winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), readable);
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] });
  return winston.createLogger({
    level: normalizeLevel(options.level ?? 'info'),
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format,
    defaultMeta: options.defaultMeta,
    transports: [transport],
  });
}

/** A child logger tagged with the node (and robot, when known). */
export function childLogger(root: Logger, fields: { node: string; robot?: string }): Logger {
  return root.child(fields.robot ? { node: fields.node, robot: fields.robot } : { node: fields.node });
}

let fallback: Logger | undefined;

/** A shared quiet-by-default logger for code that was given none (level from KIZUNA_LOG_LEVEL, default warn). */
export function defaultLogger(): Logger {
  fallback ??= createLogger({ level: process.env.KIZUNA_LOG_LEVEL ?? 'warn' });
  return fallback;
}
