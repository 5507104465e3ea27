/**
 * The shapes of the VDA 5050 2.0 messages as this bridge reads and writes them: TypeScript views of
 * what the schemas (schemas.ts, the official files) already checked, with only the fields used here.
 * The schemas are the authority; these types only keep the code honest about field names.
 */

/** The header every VDA 5050 message starts with. */
export interface VdaHeader {
  headerId: number;
  /** ISO 8601, UTC. */
  timestamp: string;
  /** The protocol version [Major].[Minor].[Patch]: this bridge writes 2.0.0 and reads any 2.x. */
  version: string;
  manufacturer: string;
  serialNumber: string;
}

export type BlockingType = 'NONE' | 'SOFT' | 'HARD';

export interface ActionParameter {
  key: string;
  value: unknown;
}

export interface VdaAction {
  actionType: string;
  actionId: string;
  actionDescription?: string;
  blockingType: BlockingType;
  actionParameters?: ActionParameter[];
}

export interface NodePosition {
  x: number;
  y: number;
  theta?: number;
  /** The 2.0 text's spelling. */
  allowedDeviationXY?: number;
  /** The spelling of the 2.0 JSON schema files (both are read). */
  allowedDeviationXy?: number;
  allowedDeviationTheta?: number;
  mapId: string;
  mapDescription?: string;
}

export interface OrderNode {
  nodeId: string;
  sequenceId: number;
  nodeDescription?: string;
  released: boolean;
  nodePosition?: NodePosition;
  actions: VdaAction[];
}

export interface OrderEdge {
  edgeId: string;
  sequenceId: number;
  edgeDescription?: string;
  released: boolean;
  startNodeId: string;
  endNodeId: string;
  maxSpeed?: number;
  maxHeight?: number;
  minHeight?: number;
  orientation?: number;
  orientationType?: string;
  direction?: string;
  rotationAllowed?: boolean;
  maxRotationSpeed?: number;
  trajectory?: unknown;
  length?: number;
  actions: VdaAction[];
}

export interface VdaOrder extends VdaHeader {
  orderId: string;
  orderUpdateId: number;
  zoneSetId?: string;
  nodes: OrderNode[];
  edges: OrderEdge[];
}

export interface VdaInstantActions extends VdaHeader {
  actions: VdaAction[];
}

export type ActionStatus = 'WAITING' | 'INITIALIZING' | 'RUNNING' | 'PAUSED' | 'FINISHED' | 'FAILED';

export interface ActionState {
  actionId: string;
  actionType?: string;
  actionDescription?: string;
  actionStatus: ActionStatus;
  resultDescription?: string;
}

export interface ErrorReference {
  referenceKey: string;
  referenceValue: string;
}

export interface VdaError {
  errorType: string;
  errorReferences?: ErrorReference[];
  errorDescription?: string;
  errorLevel: 'WARNING' | 'FATAL';
}

export interface VdaInfo {
  infoType: string;
  infoReferences?: ErrorReference[];
  infoDescription?: string;
  infoLevel: 'DEBUG' | 'INFO';
}

export interface NodeState {
  nodeId: string;
  sequenceId: number;
  nodeDescription?: string;
  nodePosition?: NodePosition;
  released: boolean;
}

export interface EdgeState {
  edgeId: string;
  sequenceId: number;
  edgeDescription?: string;
  released: boolean;
}

export interface AgvPosition {
  x: number;
  y: number;
  theta: number;
  mapId: string;
  positionInitialized: boolean;
  localizationScore?: number;
  deviationRange?: number;
}

export interface Velocity {
  vx?: number;
  vy?: number;
  omega?: number;
}

export interface Load {
  loadId?: string;
  loadType?: string;
  loadPosition?: string;
}

export interface VdaState extends VdaHeader {
  orderId: string;
  orderUpdateId: number;
  lastNodeId: string;
  lastNodeSequenceId: number;
  driving: boolean;
  paused?: boolean;
  newBaseRequest?: boolean;
  operatingMode: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL' | 'SERVICE' | 'TEACHIN';
  nodeStates: NodeState[];
  edgeStates: EdgeState[];
  agvPosition?: AgvPosition;
  velocity?: Velocity;
  loads?: Load[];
  actionStates: ActionState[];
  batteryState: { batteryCharge: number; batteryVoltage?: number; charging: boolean };
  errors: VdaError[];
  information?: VdaInfo[];
  safetyState: { eStop: 'AUTOACK' | 'MANUAL' | 'REMOTE' | 'NONE'; fieldViolation: boolean };
}

export type ConnectionState = 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN';

/** The MQTT topics of one vehicle: `<interfaceName>/v2/<manufacturer>/<serialNumber>/<topic>`. */
export interface VdaTopics {
  order: string;
  instantActions: string;
  state: string;
  visualization: string;
  connection: string;
  factsheet: string;
}

/** The topics of the vehicle `manufacturer`/`serialNumber` under `interfaceName` (major version 2). */
export function vdaTopics(interfaceName: string, manufacturer: string, serialNumber: string): VdaTopics {
  const base = `${interfaceName}/v2/${manufacturer}/${serialNumber}`;
  return {
    order: `${base}/order`,
    instantActions: `${base}/instantActions`,
    state: `${base}/state`,
    visualization: `${base}/visualization`,
    connection: `${base}/connection`,
    factsheet: `${base}/factsheet`,
  };
}
