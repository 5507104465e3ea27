/**
 * Default names of the kizuna_msgs topics through which kizuna's nodes talk to each other. Every
 * node takes its names as parameters (remappable as usual); these are the defaults, relative so
 * that a robot namespace (`--ros-args -r __ns:=/robot7`) applies to all of them.
 */
export const TOPICS = {
  /** kizuna_msgs/WorldSummary, perception → safety_gate, executive, cloud_bridge. */
  worldSummary: 'kizuna/world_summary',
  /** kizuna_msgs/Decision, validated decisions: cloud_bridge (and local fallback) → executive. */
  decision: 'kizuna/decision',
  /** kizuna_msgs/DecisionStatus, executive → cloud_bridge (forwarded as events). */
  decisionStatus: 'kizuna/decision_status',
  /** kizuna_msgs/DecisionRequest, executive (or any node) → cloud_bridge (forwarded as decision/request). */
  decisionRequest: 'kizuna/decision_request',
  /** kizuna_msgs/SafetyState, safety_gate → executive, cloud_bridge. */
  safetyState: 'kizuna/safety_state',
  /** kizuna_msgs/HealthSummary, health → cloud_bridge. */
  health: 'kizuna/health',
  /** kizuna_msgs/BridgeStatus, cloud_bridge → executive (link state), health. */
  bridgeStatus: 'kizuna/bridge_status',
  /** std_msgs/Float32 [m/s], the speed limit in force from decisions (executive → safety_gate). */
  speedLimit: 'kizuna/speed_limit',
  /** std_msgs/String, a node's name at a fixed rate (every kizuna node → health). */
  heartbeat: 'kizuna/heartbeat',
  /** geometry_msgs/Twist, executive → safety_gate. */
  cmdVelNav: 'cmd_vel_nav',
  /** geometry_msgs/Twist, teleop → safety_gate (higher priority). */
  cmdVelTeleop: 'cmd_vel_teleop',
  /** geometry_msgs/Twist, safety_gate → base. safety_gate is its only publisher. */
  cmdVel: 'cmd_vel',
  /** std_msgs/Bool, true = emergency stop asserted. */
  estop: 'estop',
  /** std_msgs/Empty, an explicit resume after an e-stop release. */
  estopReset: 'estop_reset',
  /**
   * std_msgs/Empty, a deliberate start after a latched stop was reset (ISO 13850: a reset alone never
   * restarts motion). The executive publishes it on a new decision; a local operator input may too.
   */
  motionStart: 'kizuna/motion_start',
  /** std_msgs/Bool from a physical pause button (a press pauses; a press of the same button resumes). */
  pauseButton: 'pause_button',
  /** kizuna_msgs/LocalCommand, PAUSE or RESUME from a person on site (touch screen, speech node). */
  localCommand: 'kizuna/local_command',
  /** geometry_msgs/PoseArray, people detections in base_link (detector → perception, safety_gate). */
  people: 'people',
  /** sensor_msgs/LaserScan. */
  scan: 'scan',
  /** nav_msgs/Odometry. */
  odom: 'odom',
  /** sensor_msgs/Imu. */
  imu: 'imu',
  /** sensor_msgs/BatteryState. */
  battery: 'battery_state',
} as const;
