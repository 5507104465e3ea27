/**
 * @mcap/core and @mcap/support ship CommonJS builds but declare only their ESM types, which a
 * CommonJS project cannot import by name; this loads the CommonJS builds with the ESM types.
 */
import type * as McapCore from '@mcap/core' with { 'resolution-mode': 'import' };
import type * as McapSupport from '@mcap/support' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const mcapCore = require('@mcap/core') as typeof McapCore;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const mcapSupport = require('@mcap/support') as typeof McapSupport;

export type { McapCore, McapSupport };
