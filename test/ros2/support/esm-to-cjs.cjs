/**
 * Jest transform for rclnodejs 2.2.0's ES-module files (node_modules/rclnodejs/lib/*.js). Its CommonJS entry
 * and generated message classes `require()` those files; plain Node >= 20.19 does that natively
 * (require(esm)), jest's module system on Node 20 does not. This turns each file into CommonJS with the
 * TypeScript compiler, after dropping the module-level `require` / `__dirname` / `__filename` that the files
 * rebuild from import.meta.url (CommonJS already provides them).
 */
'use strict';
const ts = require('typescript');
const { createHash } = require('node:crypto');

const REBUILT_GLOBAL = /^const (require|__dirname|__filename) = [^\n]*import\.meta\.url[^\n]*;$/gm;

module.exports = {
  getCacheKey(source, path) {
    return createHash('sha256').update('esm-to-cjs-1\0').update(path).update('\0').update(source).digest('hex');
  },
  process(source, path) {
    const text = source
      .replace(REBUILT_GLOBAL, '')
      .replace(/import\.meta\.url/g, "require('node:url').pathToFileURL(__filename).href");
    const out = ts.transpileModule(text, {
      fileName: path,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
        sourceMap: false,
      },
    });
    return { code: out.outputText };
  },
};
