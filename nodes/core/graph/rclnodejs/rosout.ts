/**
 * kizuna's logs on /rosout: a winston transport, added to the graph's logger, that hands every line logged
 * for one of the graph's nodes to that node's rcl logger (rclnodejs `node.getLogger()`), which publishes it
 * as rcl_interfaces/msg/Log on /rosout the way rclcpp and rclpy nodes do. Lines below the winston logger's
 * level never reach it; rcl's own threshold (INFO by default) applies on top. rcl's console output is off
 * (the graph passes `--disable-stdout-logs` to rcl unless told otherwise), so each line prints once.
 */
import { Writable } from 'node:stream';
import winston from 'winston';

/** The rcl logger of one node (rclnodejs's Logging). */
export interface RclLogger {
  debug(message: string): boolean;
  info(message: string): boolean;
  warn(message: string): boolean;
  error(message: string): boolean;
}

const OWN_FIELDS = new Set(['level', 'message', 'timestamp', 'node', 'robot']);

/** The text sent to /rosout: the message, then any structured fields as JSON. */
export function rosoutText(info: Record<string, unknown>): string {
  const extra = Object.keys(info).filter((k) => !OWN_FIELDS.has(k));
  const tail = extra.length > 0 ? ` ${JSON.stringify(Object.fromEntries(extra.map((k) => [k, info[k]])))}` : '';
  return `${String(info.message)}${tail}`;
}

/**
 * The transport: winston's Stream transport over an object-mode stream, which receives each log entry as
 * an object. `loggerFor(fqn)` is the rcl logger of this graph's node `fqn`, or undefined for other lines.
 */
export function rosoutTransport(loggerFor: (fqn: string) => RclLogger | undefined): winston.transport {
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _encoding, done) {
      const node = typeof info.node === 'string' ? loggerFor(info.node) : undefined;
      if (node) {
        const text = rosoutText(info);
        try {
          if (info.level === 'error') node.error(text);
          else if (info.level === 'warn') node.warn(text);
          else if (info.level === 'debug') node.debug(text);
          else node.info(text);
        } catch {
          // the node's rcl handle went away while the line was in flight; winston's other transports have it
        }
      }
      done();
    },
  });
  return new winston.transports.Stream({ stream });
}
