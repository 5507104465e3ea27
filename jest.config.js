/** Jest: TypeScript through ts-jest in transpile-only mode (`npm run typecheck` does the type checking). */
// Keep the shared default logger quiet in tests; tests that check logs pass their own logger.
process.env.KIZUNA_LOG_LEVEL ??= 'error';
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    // rclnodejs's ES-module files, which its CommonJS build requires (see the transform's header).
    '/node_modules/rclnodejs/lib/.+\\.js$': '<rootDir>/test/ros2/support/esm-to-cjs.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!rclnodejs/lib/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  testTimeout: 20000,
};
