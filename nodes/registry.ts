/** Every node `kizuna run <name>` can start, by its default name. */
import type { NodeDefinition } from './core/runner';
import { definition as exampleNearest } from './example_nearest/node';
import { definition as cloudBridge } from './cloud_bridge/node';

export const NODES: Readonly<Record<string, NodeDefinition>> = {
  [exampleNearest.name]: exampleNearest,
  [cloudBridge.name]: cloudBridge,
};
