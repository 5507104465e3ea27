/**
 * Type-level view of every ROS 2 interface kizuna knows, keyed by full type name
 * (`sensor_msgs/msg/LaserScan`), plus run-time lookups of their definitions.
 */
import type { ActionTypeMap, MessageTypeMap, ServiceTypeMap } from './generated';
import { ACTIONS, MESSAGES, SERVICES } from './definitions.generated';
import type { ActionDef, MsgDef, SrvDef } from './definition';
import { KizunaError } from '../errors';

export type { ActionTypeMap, MessageTypeMap, ServiceTypeMap } from './generated';
export * from './definition';

/** Every message type name, e.g. `'sensor_msgs/msg/LaserScan'`. */
export type MessageTypeName = keyof MessageTypeMap & string;
/** The TypeScript shape of message type `T`. */
export type MessageOf<T extends MessageTypeName> = MessageTypeMap[T];

/** Every service type name, e.g. `'std_srvs/srv/Trigger'`. */
export type ServiceTypeName = keyof ServiceTypeMap & string;
export type RequestOf<T extends ServiceTypeName> = ServiceTypeMap[T]['Request'];
export type ResponseOf<T extends ServiceTypeName> = ServiceTypeMap[T]['Response'];

/** Every action type name, e.g. `'nav2_msgs/action/NavigateToPose'`. */
export type ActionTypeName = keyof ActionTypeMap & string;
export type GoalOf<T extends ActionTypeName> = ActionTypeMap[T]['Goal'];
export type ResultOf<T extends ActionTypeName> = ActionTypeMap[T]['Result'];
export type FeedbackOf<T extends ActionTypeName> = ActionTypeMap[T]['Feedback'];

/** The parsed definition of a message type; throws KZ_ERR_UNKNOWN_TYPE for an unknown name. */
export function messageDefinition(type: string): MsgDef {
  const def = MESSAGES[type];
  if (!def) {
    throw new KizunaError(
      'KZ_ERR_UNKNOWN_TYPE',
      `unknown message type '${type}' (expected e.g. 'std_msgs/msg/String')`,
      {
        entity: type,
      },
    );
  }
  return def;
}

/** The parsed definition of a service type; throws KZ_ERR_UNKNOWN_TYPE for an unknown name. */
export function serviceDefinition(type: string): SrvDef {
  const def = SERVICES[type];
  if (!def) throw new KizunaError('KZ_ERR_UNKNOWN_TYPE', `unknown service type '${type}'`, { entity: type });
  return def;
}

/** The parsed definition of an action type; throws KZ_ERR_UNKNOWN_TYPE for an unknown name. */
export function actionDefinition(type: string): ActionDef {
  const def = ACTIONS[type];
  if (!def) throw new KizunaError('KZ_ERR_UNKNOWN_TYPE', `unknown action type '${type}'`, { entity: type });
  return def;
}

/** True when `type` is a known message type name. */
export function isMessageType(type: string): type is MessageTypeName {
  return Object.prototype.hasOwnProperty.call(MESSAGES, type);
}
