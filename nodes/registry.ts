/** Every node `kizuna run <name>` can start, by its default name. */
import type { NodeDefinition } from './core/runner';
import { definition as exampleNearest } from './example_nearest/node';
import { definition as safetyGate } from './safety_gate/node';
import { definition as perception } from './perception/node';
import { definition as executive } from './executive/node';
import { definition as health } from './health/node';
import { definition as cloudBridge } from './cloud_bridge/node';
import { definition as lifecycleManager } from './lifecycle_manager/node';
import { definition as blackBox } from './black_box/node';
import { definition as simWorld } from '../sim/world-node';

export const NODES: Readonly<Record<string, NodeDefinition>> = {
  [exampleNearest.name]: exampleNearest,
  // autonomy
  [safetyGate.name]: safetyGate,
  [perception.name]: perception,
  [executive.name]: executive,
  [health.name]: health,
  // the onboard recorder of incidents
  [blackBox.name]: blackBox,
  // the link to the national model
  [cloudBridge.name]: cloudBridge,
  // brings the managed nodes up and down (kizuna run <node> --managed)
  [lifecycleManager.name]: lifecycleManager,
  // the built-in sim in place of Gazebo and its ros_gz bridge (sim_gazebo.launch.py gazebo:=false)
  [simWorld.name]: simWorld,
};
