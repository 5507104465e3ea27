/**
 * THE MQTT contract between a kizuna robot and the national model: topics, payload schemas, the
 * canonical encoding and Ed25519 signing of decisions, and the JSON Schema / AsyncAPI export.
 * Free of ROS and MQTT-client code so that the sim's reference planner and the technician CLI can
 * import it. docs/contract.md is its description for other teams.
 */
export * from './version';
export * from './topics';
export * from './schemas';
export * from './canonical';
export * from './signing';
export * from './export';
export * from './broker-acl';
export * from './dynsec-control';
